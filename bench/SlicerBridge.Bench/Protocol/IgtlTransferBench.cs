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
    public string Description => "150 MiB int16 IMAGE over loopback TCP, ours vs C++ OpenIGTLink [reps=5]";

    public int Run(string[] args)
    {
        int reps = args.Length > 0 ? int.Parse(args[0]) : 5;
        var pixels = new byte[SizeI * SizeJ * SizeK * 2];
        for (int v = 0; v < pixels.Length / 2; v++) BitConverter.TryWriteBytes(pixels.AsSpan(v * 2), (short)(v * 7));
        using var image = new ImageMessage("Bench", IgtlScalarType.Int16, 1, SizeI, SizeJ, SizeK, pixels) { HeaderVersion = 1 };
        image.SetIjkToRas([0.7, 0, 0, 0, 0, 0.7, 0, 0, 0, 0, 1, 0]);
        long frameBytes = IgtlHeaderLayout.Size + ImageMessage.ImageHeaderSize + pixels.Length;

        RunOursToOurs(image, frameBytes, 1); // warm-up (JIT, pools)
        double ours = RunOursToOurs(image, frameBytes, reps);
        Console.WriteLine($"ours -> ours : {reps} x {frameBytes} bytes, {ours:F3} GB/s (encode+CRC+send+receive+CRC+decode)");

        var peer = InteropPeer.Find();
        if (peer is null) { Console.WriteLine("C++ peer not found (build tests/interop or set SLICERBRIDGE_INTEROP_BIN)"); return 0; }
        double cpp = RunCppToCpp(peer, reps);
        Console.WriteLine($"C++  -> C++  : {reps} x {frameBytes} bytes, {cpp:F3} GB/s (Pack with CRC + send + receive + Unpack with CRC)");
        double cppToOurs = RunCppToOurs(peer, frameBytes, reps);
        Console.WriteLine($"C++  -> ours : {reps} x {frameBytes} bytes, {cppToOurs:F3} GB/s");
        Console.WriteLine($"ratio ours/C++ (same-library transfer): {ours / cpp:F2}x");
        return 0;
    }

    private static (TcpListener, int) Listen()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return (l, ((IPEndPoint)l.LocalEndpoint).Port);
    }

    private static async Task<double> ReceiveAll(TcpClient client, long frameBytes, int reps, Stopwatch sw)
    {
        var reader = new IgtlMessageReader(PipeReader.Create(client.GetStream(), new StreamPipeReaderOptions(bufferSize: 1 << 20, minimumReadSize: 1 << 19)));
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
            var writer = PipeWriter.Create(client.GetStream(), new StreamPipeWriterOptions(minimumBufferSize: 1 << 20));
            for (int r = 0; r < reps; r++) await IgtlMessageWriter.WriteAsync(writer, image);
            await writer.CompleteAsync();
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
