using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using SlicerBridge.Protocol;

namespace SlicerBridge.Bench.Protocol;

/// <summary>512x512x300 int16 IMAGE (150 MiB) encoded, sent, received and decoded (CRC on) over loopback TCP, GB/s;
/// side by side with the C++ library doing the same transfer (igtl_peer bench-send → bench-recv) and C++ → ours.</summary>
public sealed class IgtlTransferBench : IBenchCommand
{
    private const int SizeI = 512, SizeJ = 512, SizeK = 300;
    public string Name => "igtl-transfer";
    public string Description => "150 MiB int16 IMAGE over loopback TCP, ours vs plain TCP vs C++ OpenIGTLink [reps=5] [rounds=3]";

    public int Run(string[] args)
    {
        int reps = args.Length > 0 ? int.Parse(args[0]) : 5;
        int rounds = args.Length > 1 ? int.Parse(args[1]) : 3;
        var pixels = new byte[SizeI * SizeJ * SizeK * 2];
        for (int v = 0; v < pixels.Length / 2; v++) BitConverter.TryWriteBytes(pixels.AsSpan(v * 2), (short)(v * 7));
        using var image = new ImageMessage("Bench", IgtlScalarType.Int16, 1, SizeI, SizeJ, SizeK, pixels) { HeaderVersion = 1 };
        image.SetIjkToRas([0.7, 0, 0, 0, 0, 0.7, 0, 0, 0, 0, 1, 0]);
        long frameBytes = IgtlHeaderLayout.Size + ImageMessage.ImageHeaderSize + pixels.Length;

        RunOursToOurs(image, frameBytes, 1); // warm-up (JIT, pools)
        RunPlainTcp(pixels, 1);
        // Interleaved, so both see the same machine load (2 shared cores); the median of the rounds is reported.
        var oursRuns = new List<double>();
        var plainRuns = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            oursRuns.Add(RunOursToOurs(image, frameBytes, reps));
            plainRuns.Add(RunPlainTcp(pixels, reps));
        }
        double ours = Median(oursRuns), plain = Median(plainRuns);
        Console.WriteLine($"ours -> ours : {reps} x {frameBytes} bytes, {ours:F3} GB/s median of {Show(oursRuns)} (encode+CRC+send+receive+CRC+decode)");
        Console.WriteLine($"plain TCP    : {reps} x {pixels.Length} bytes, {plain:F3} GB/s median of {Show(plainRuns)} (send, receive into one buffer)");
        Console.WriteLine($"ratio ours/plain loopback TCP: {ours / plain:F2}");

        var peer = InteropPeer.Find();
        if (peer is null) { Console.WriteLine("C++ peer not found (build tests/interop or set SLICERBRIDGE_INTEROP_BIN)"); return 0; }
        double cpp = RunCppToCpp(peer, reps);
        Console.WriteLine($"C++  -> C++  : {reps} x {frameBytes} bytes, {cpp:F3} GB/s (Pack with CRC + send + receive + Unpack with CRC)");
        double cppToOurs = RunCppToOurs(peer, frameBytes, reps);
        Console.WriteLine($"C++  -> ours : {reps} x {frameBytes} bytes, {cppToOurs:F3} GB/s");
        Console.WriteLine($"ratio ours/C++ (same-library transfer): {ours / cpp:F2}x");
        return 0;
    }

    private static double Median(List<double> xs) { var s = xs.Order().ToList(); return s[s.Count / 2]; }

    private static string Show(List<double> xs) => string.Join(", ", xs.Select(x => x.ToString("F3", CultureInfo.InvariantCulture)));

    /// <summary>The ceiling: the same bytes over the same loopback, no framing, no CRC; received into one reused buffer.</summary>
    private static double RunPlainTcp(byte[] payload, int reps)
    {
        var (listener, port) = Listen();
        using var _ = listener;
        var sw = Stopwatch.StartNew();
        var send = Task.Run(async () =>
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            var stream = client.GetStream();
            for (int r = 0; r < reps; r++) await stream.WriteAsync(payload);
        });
        using var server = listener.AcceptTcpClient();
        var target = new byte[payload.Length];
        var input = server.GetStream();
        for (int r = 0; r < reps; r++)
        {
            int filled = 0;
            while (filled < target.Length)
            {
                int n = input.Read(target, filled, target.Length - filled);
                if (n == 0) throw new InvalidOperationException("plain TCP sender closed early");
                filled += n;
            }
        }
        double seconds = sw.Elapsed.TotalSeconds;
        send.GetAwaiter().GetResult();
        return payload.Length * (double)reps / seconds / 1e9;
    }

    private static (TcpListener, int) Listen()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return (l, ((IPEndPoint)l.LocalEndpoint).Port);
    }

    private static async Task<double> ReceiveAll(TcpClient client, long frameBytes, int reps, Stopwatch sw)
    {
        var reader = new IgtlMessageReader(client.GetStream());
        for (int r = 0; r < reps; r++)
        {
            using var m = await reader.ReadAsync() as ImageMessage ?? throw new InvalidOperationException("expected IMAGE");
            if (m.Pixels.Length != frameBytes - IgtlHeaderLayout.Size - ImageMessage.ImageHeaderSize) throw new InvalidOperationException("size");
        }
        return sw.Elapsed.TotalSeconds;
    }

    private static double RunOursToOurs(ImageMessage image, long frameBytes, int reps)
    {
        var (listener, port) = Listen();
        using var _ = listener;
        var sw = Stopwatch.StartNew();
        var send = Task.Run(async () =>
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            var stream = client.GetStream();
            for (int r = 0; r < reps; r++) await IgtlMessageWriter.WriteAsync(stream, image);
        });
        using var server = listener.AcceptTcpClient();
        double seconds = ReceiveAll(server, frameBytes, reps, sw).GetAwaiter().GetResult();
        send.GetAwaiter().GetResult();
        return frameBytes * (double)reps / seconds / 1e9;
    }

    private static double RunCppToCpp(string peer, int reps)
    {
        int port;
        { var (l, p) = Listen(); port = p; l.Stop(); }
        using var recv = InteropPeer.Start(peer, "bench-recv", port.ToString(), reps.ToString());
        if (recv.StandardOutput.ReadLine() is not { } first || !first.StartsWith("LISTENING")) throw new InvalidOperationException("peer did not listen");
        InteropPeer.Run(peer, "bench-send", "127.0.0.1", port.ToString(), reps.ToString());
        string output = recv.StandardOutput.ReadToEnd();
        recv.WaitForExit();
        var total = output.Split('\n').Single(l => l.StartsWith("total "));
        return double.Parse(total.Split(' ')[5], CultureInfo.InvariantCulture);
    }

    private static double RunCppToOurs(string peer, long frameBytes, int reps)
    {
        var (listener, port) = Listen();
        using var _ = listener;
        using var sender = InteropPeer.Start(peer, "bench-send", "127.0.0.1", port.ToString(), reps.ToString());
        using var server = listener.AcceptTcpClient();
        var sw = Stopwatch.StartNew();
        double seconds = ReceiveAll(server, frameBytes, reps, sw).GetAwaiter().GetResult();
        sender.WaitForExit();
        return frameBytes * (double)reps / seconds / 1e9;
    }
}
