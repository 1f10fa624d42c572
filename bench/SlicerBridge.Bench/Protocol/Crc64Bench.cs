using System.Diagnostics;
using SlicerBridge.Protocol;

namespace SlicerBridge.Bench.Protocol;

/// <summary>CRC-64/ECMA-182 throughput: ours (System.IO.Hashing.Crc64) vs the C++ library's crc64 (via igtl_peer) in the same run.</summary>
public sealed class Crc64Bench : IBenchCommand
{
    public string Name => "crc64";
    public string Description => "CRC-64 GB/s, ours vs OpenIGTLink C++ crc64 [MiB=64] [reps=5]";

    public int Run(string[] args)
    {
        int mib = args.Length > 0 ? int.Parse(args[0]) : 64;
        int reps = args.Length > 1 ? int.Parse(args[1]) : 5;
        var data = new byte[mib << 20];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)((uint)i * 2654435761u >> 13);
        IgtlCrc.Compute(data.AsSpan(0, 1 << 20)); // warm-up (tables, JIT)
        double best = 0;
        ulong crc = 0;
        for (int r = 0; r < reps; r++)
        {
            var sw = Stopwatch.StartNew();
            crc = IgtlCrc.Compute(data);
            best = Math.Max(best, data.Length / sw.Elapsed.TotalSeconds / 1e9);
        }
        Console.WriteLine($"ours   crc64 best of {reps}: {best:F3} GB/s over {mib} MiB ({crc:x16})");
        var peer = InteropPeer.Find();
        if (peer is null) { Console.WriteLine("C++ peer not found (build tests/interop or set SLICERBRIDGE_INTEROP_BIN)"); return 0; }
        double cpp = 0;
        for (int r = 0; r < reps; r++)
        {
            var line = InteropPeer.Run(peer, "crc", mib.ToString(), "1"); // "crc64 X GB/s value"
            cpp = Math.Max(cpp, double.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture));
        }
        Console.WriteLine($"C++    crc64 best of {reps}: {cpp:F3} GB/s");
        Console.WriteLine($"ratio ours/C++: {best / cpp:F2}x");
        return 0;
    }
}
