using System.Text;
using System.Text.Json;
using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Models;

namespace SlicerBridge.Host.Cli;

/// <summary>
/// How the commands report a failure: one line on stderr, never a stack trace. Problems with the user's files and
/// models are told as their reader phrased them; anything else is named by its type so that it can be reported.
/// </summary>
public static class CliErrors
{
    private const int MaxLength = 1000;

    /// <summary>True for the failures a bad input file, checkpoint or model configuration produces.</summary>
    public static bool IsInputProblem(Exception ex) => ex is VolumeFormatException or CheckpointException or NpyFormatException
        or ModelUnavailableException or SegmentationException or JsonException or IOException or UnauthorizedAccessException;

    /// <summary>The message of <paramref name="ex"/> on one line of at most 1,000 characters.</summary>
    public static string Describe(Exception ex)
    {
        string message = ex switch
        {
            OutOfMemoryException => "out of memory",
            _ when IsInputProblem(ex) || ex is ArgumentException or FormatException => ex.Message,
            _ => $"unexpected {ex.GetType().Name}: {ex.Message}",
        };
        return OneLine(message);
    }

    /// <summary>Control characters (line breaks included) become spaces; runs of spaces collapse; long text is cut.</summary>
    public static string OneLine(string message)
    {
        var line = new StringBuilder(Math.Min(message.Length, MaxLength + 1));
        foreach (char c in message)
        {
            char d = char.IsControl(c) ? ' ' : c;
            if (d == ' ' && line.Length > 0 && line[^1] == ' ') continue;
            if (line.Length == MaxLength) { line.Append('…'); break; }
            line.Append(d);
        }
        return line.ToString().Trim();
    }
}
