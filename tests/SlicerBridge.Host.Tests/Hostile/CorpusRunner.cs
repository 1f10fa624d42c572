using System.Diagnostics;
using SlicerBridge.Host.Cli;
using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.IO;

namespace SlicerBridge.Host.Tests.Hostile;

/// <summary>
/// The entry point of this test assembly when it runs as a program (<c>dotnet SlicerBridge.Host.Tests.dll --corpus-case
/// REPORT MODE ARGS...</c>): runs one hostile case in a process of its own, so that an abort, a hang or the peak RSS
/// belongs to that case alone, then writes "peak-rss-kB elapsed-ms" to REPORT. MODE is <c>cli</c> (a slicerbridge
/// command, exactly as Program.cs runs it) or <c>read-checkpoint|read-volume|read-npy PATH</c> (one reader; its typed
/// error is printed as "error: TYPE: message"). Any other exception escapes, and the runtime prints its stack trace.
/// </summary>
public static class CorpusRunner
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--fuzz") return ReaderFuzzer.Run(args[1..]);
        if (args.Length < 3 || args[0] != "--corpus-case")
        {
            Console.Error.WriteLine("usage: dotnet SlicerBridge.Host.Tests.dll --corpus-case REPORT (cli ARGS... | read-checkpoint|read-volume|read-npy PATH)");
            Console.Error.WriteLine("       dotnet SlicerBridge.Host.Tests.dll --fuzz SECONDS SEED FOLDER");
            return 2;
        }
        var clock = Stopwatch.StartNew();
        int code = args[2] switch
        {
            "cli" => await BridgeCli.Create().Parse(args[3..]).InvokeAsync(),
            "read-checkpoint" => Read<CheckpointException>(() => ReadCheckpoint(args[3])),
            "read-volume" => Read<VolumeFormatException>(() => VolumeFile.Read(args[3]).Geometry.ToString()),
            "read-npy" => Read<NpyFormatException>(() => string.Join(",", NpyFile.Read(args[3]).Shape)),
            _ => 2,
        };
        File.WriteAllText(args[1], $"{PeakRssKilobytes()} {clock.ElapsedMilliseconds}");
        return code;
    }

    private static int Read<TError>(Func<string> read) where TError : Exception
    {
        try
        {
            Console.WriteLine(read());
            return 0;
        }
        catch (TError ex)
        {
            Console.Error.WriteLine($"error: {typeof(TError).Name}: {ex.Message}");
            return 1;
        }
    }

    private static string ReadCheckpoint(string path)
    {
        using var checkpoint = CheckpointReader.Open(path);
        foreach (var t in checkpoint.Tensors) checkpoint.ReadFloat32(t.Name, new float[t.ElementCount]);
        return $"{checkpoint.Tensors.Count} tensors";
    }

    /// <summary>VmHWM of this process: the most resident memory it has had.</summary>
    public static long PeakRssKilobytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        return -1;
    }
}
