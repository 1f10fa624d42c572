using System.Globalization;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Host.Cli;

/// <summary>The options of <c>slicerbridge segment</c>, as given on the command line (text, not yet validated).</summary>
public sealed record SegmentArguments(
    string Input,
    string Output,
    IReadOnlyList<string> Points,
    string Model = "growcut",
    string? Checkpoint = null,
    string? Config = null,
    string? Roi = null,
    string Device = "auto",
    string Precision = "fp32",
    long? MaxVoxels = null);

/// <summary>Bad command-line input, reported as "error: ..." with exit code 2.</summary>
public sealed class SegmentUsageException(string message) : Exception(message);

/// <summary>Parses the textual point and ROI forms of the segment command.</summary>
public static class SegmentArgumentParser
{
    /// <summary>"R,A,S" (positive) or "R,A,S,label" with label 1/+/pos/positive/fg or 0/-/neg/negative/bg.</summary>
    public static PromptPoint ParsePoint(string text)
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length is not (3 or 4))
            throw new SegmentUsageException($"--point '{text}' must be R,A,S or R,A,S,label (RAS millimetres).");
        Vec3 ras = new(Number(parts[0], "--point", text), Number(parts[1], "--point", text), Number(parts[2], "--point", text));
        bool positive = parts.Length == 3 || parts[3].ToLowerInvariant() switch
        {
            "1" or "+" or "+1" or "pos" or "positive" or "fg" or "foreground" => true,
            "0" or "-" or "-1" or "neg" or "negative" or "bg" or "background" => false,
            _ => throw new SegmentUsageException($"--point '{text}': label '{parts[3]}' must be 1/positive or 0/negative."),
        };
        return new PromptPoint(ras, positive);
    }

    /// <summary>"R1,A1,S1,R2,A2,S2": two opposite corners of an axis-aligned RAS box.</summary>
    public static RoiBox ParseRoi(string text)
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 6) throw new SegmentUsageException($"--roi '{text}' must be R1,A1,S1,R2,A2,S2 (two opposite corners in RAS mm).");
        double[] v = parts.Select(p => Number(p, "--roi", text)).ToArray();
        var roi = RoiBox.FromCorners(new Vec3(v[0], v[1], v[2]), new Vec3(v[3], v[4], v[5]));
        if (roi.Size.X <= 0 || roi.Size.Y <= 0 || roi.Size.Z <= 0)
            throw new SegmentUsageException($"--roi '{text}' has zero extent on at least one axis.");
        return roi;
    }

    private static double Number(string part, string option, string text) =>
        double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value)
            ? value
            : throw new SegmentUsageException($"{option} '{text}': '{part}' is not a finite number.");
}
