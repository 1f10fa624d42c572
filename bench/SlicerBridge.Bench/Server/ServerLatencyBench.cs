using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SlicerBridge.Host.Hosting;
using SlicerBridge.Host.Networking;
using SlicerBridge.Protocol;

namespace SlicerBridge.Bench.Server;

/// <summary>
/// Click-to-labelmap latency over loopback (POINT sent → labelmap IMAGE received) with GrowCut on a 256x256x200
/// int16 phantom and an 80 mm ROI, then throughput with concurrent clients: [clicks=20] [clients=8] [clicksPerClient=4].
/// With a SAM-Med3D checkpoint as 4th argument (and optionally a device as 5th), the model is SAM-Med3D instead: the first
/// click on the first scan (model load + encoder + decoder), clicks with the cached embedding, and the first click on a
/// new scan with the model loaded.
/// </summary>
public sealed class ServerLatencyBench : IBenchCommand
{
    public string Name => "server-latency";
    public string Description => "Server click-to-labelmap latency p50/p95 (growcut, 256x256x200 int16) and throughput with N clients: [clicks=20] [clients=8] [perClient=4]";

    public int Run(string[] args)
    {
        int clicks = Arg(args, 0, 20), clients = Arg(args, 1, 8), perClient = Arg(args, 2, 4);
        if (args.Length > 3) return RunSamAsync(clicks, args[3], args.Length > 4 ? args[4] : "cpu").GetAwaiter().GetResult();
        return RunAsync(clicks, clients, perClient).GetAwaiter().GetResult();
    }

    private static int Arg(string[] args, int i, int fallback) => args.Length > i && int.TryParse(args[i], out int v) && v > 0 ? v : fallback;

    private static async Task<int> RunAsync(int clicks, int clients, int perClient)
    {
        var host = BridgeHostBuilder.Create([], new Dictionary<string, string?>
        {
            ["Server:Port"] = "0", ["Models:Default"] = "growcut", ["Logging:LogLevel:Default"] = "Warning",
            ["Cache:MemoryBudgetBytes"] = (2L << 30).ToString(CultureInfo.InvariantCulture),
        }).Build();
        await host.StartAsync();
        var endPoint = await host.Services.GetRequiredService<TcpListenerService>().BoundEndPoint;
        Console.WriteLine($"phantom 256x256x200 int16 (0.8x0.8x1.5 mm), growcut, ROI 80 mm, {Environment.ProcessorCount} logical CPUs, server parallelism default");

        await using (var client = await BenchClient.ConnectAsync(endPoint))
        {
            await client.SetUpAsync("phantom", 0);
            for (int w = 0; w < 2; w++) await client.ClickAsync(w); // warm-up
            var latencies = new List<double>();
            for (int c = 0; c < clicks; c++) latencies.Add(await client.ClickAsync(c));
            latencies.Sort();
            Console.WriteLine($"latency, 1 client, {clicks} clicks: p50 {Percentile(latencies, 50):0.0} ms  p95 {Percentile(latencies, 95):0.0} ms  min {latencies[0]:0.0} ms  max {latencies[^1]:0.0} ms");
        }

        var sessions = new List<BenchClient>();
        for (int n = 0; n < clients; n++)
        {
            var s = await BenchClient.ConnectAsync(endPoint);
            await s.SetUpAsync($"phantom{n}", n * 0.1); // distinct origins: distinct volumes in the cache
            await s.ClickAsync(0);
            sessions.Add(s);
        }
        var wall = Stopwatch.StartNew();
        var perSession = await Task.WhenAll(sessions.Select(async s =>
        {
            var l = new List<double>();
            for (int c = 0; c < perClient; c++) l.Add(await s.ClickAsync(c + 1));
            return l;
        }));
        double seconds = wall.Elapsed.TotalSeconds;
        var all = perSession.SelectMany(l => l).OrderBy(x => x).ToList();
        Console.WriteLine($"throughput, {clients} clients x {perClient} clicks: {all.Count / seconds:0.00} segmentations/s over {seconds:0.0} s; latency p50 {Percentile(all, 50):0.0} ms p95 {Percentile(all, 95):0.0} ms");
        foreach (var s in sessions) await s.DisposeAsync();
        await host.StopAsync();
        host.Dispose();
        return 0;
    }

    private static async Task<int> RunSamAsync(int clicks, string checkpoint, string device)
    {
        var host = BridgeHostBuilder.Create([], new Dictionary<string, string?>
        {
            ["Server:Port"] = "0", ["Logging:LogLevel:Default"] = "Warning",
            ["Models:List:0:Name"] = "sam", ["Models:List:0:Kind"] = "sam-med3d", ["Models:List:0:Checkpoint"] = checkpoint,
            ["Models:List:0:Device"] = device, ["Models:Default"] = "sam",
            ["Cache:MemoryBudgetBytes"] = (2L << 30).ToString(CultureInfo.InvariantCulture),
        }).Build();
        await host.StartAsync();
        var endPoint = await host.Services.GetRequiredService<TcpListenerService>().BoundEndPoint;
        Console.WriteLine($"phantom 256x256x200 int16 (0.8x0.8x1.5 mm), sam-med3d ({Path.GetFileName(checkpoint)}, {device}), ROI 80 mm, {Environment.ProcessorCount} logical CPUs");
        await using (var client = await BenchClient.ConnectAsync(endPoint))
        {
            await client.SetUpAsync("phantom", 0);
            Console.WriteLine($"first click, first scan (model load + encoder + decoder + paste-back): {await client.ClickAsync(0):0} ms");
            var latencies = new List<double>();
            for (int c = 0; c < clicks; c++) latencies.Add(await client.ClickAsync(c + 1));
            latencies.Sort();
            Console.WriteLine($"clicks with the cached embedding, {clicks}: p50 {Percentile(latencies, 50):0.0} ms  p95 {Percentile(latencies, 95):0.0} ms  min {latencies[0]:0.0} ms  max {latencies[^1]:0.0} ms");
        }
        var firsts = new List<double>();
        for (int n = 1; n <= 3; n++)
        {
            await using var client = await BenchClient.ConnectAsync(endPoint);
            await client.SetUpAsync($"scan{n}", n * 7.3); // another origin: another scan, nothing cached
            firsts.Add(await client.ClickAsync(0));
        }
        firsts.Sort();
        Console.WriteLine($"first click on a new scan (model loaded; encoder + decoder + paste-back), 3 scans: {string.Join(" / ", firsts.Select(f => f.ToString("0", CultureInfo.InvariantCulture)))} ms");
        await host.StopAsync();
        host.Dispose();
        return 0;
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>A Slicer-like client: one volume, clicks as POINT messages, waits for each labelmap.</summary>
    private sealed class BenchClient : IAsyncDisposable
    {
        private readonly TcpClient _tcp;
        private readonly PipeWriter _writer;
        private readonly IgtlMessageReader _reader;
        private uint _commandId;

        private BenchClient(TcpClient tcp)
        {
            _tcp = tcp;
            _writer = PipeWriter.Create(tcp.GetStream());
            _reader = new IgtlMessageReader(PipeReader.Create(tcp.GetStream()));
        }

        public static async Task<BenchClient> ConnectAsync(IPEndPoint endPoint)
        {
            var tcp = new TcpClient { NoDelay = true };
            await tcp.ConnectAsync(endPoint);
            return new BenchClient(tcp);
        }

        public async Task SetUpAsync(string name, double originShift)
        {
            var image = new ImageMessage(name, IgtlScalarType.Int16, 1, 256, 256, 200, Phantom());
            image.SetIjkToRas([0.8, 0, 0, originShift, 0, 0.8, 0, 0, 0, 0, 1.5, 0]);
            await IgtlMessageWriter.WriteAsync(_writer, image);
            await IgtlMessageWriter.WriteAsync(_writer, new CommandMessage
            {
                DeviceName = "command", CommandId = ++_commandId, CommandName = "SetRoi",
                Content = """{"center":[102.4,102.4,150],"size":[80,80,80]}""",
            });
            while (await _reader.ReadAsync() is var m && m is not RtsCommandMessage)
                if (m is null) throw new IOException("server closed the connection");
        }

        /// <summary>Sends one click (jittered around the organ centre) and returns ms until its labelmap arrives.</summary>
        public async Task<double> ClickAsync(int n)
        {
            float dx = (n % 5 - 2) * 1.6f, dy = (n / 5 % 3 - 1) * 1.6f;
            var point = new PointMessage { DeviceName = "PromptPos" };
            point.Points.Add(new PointElement("P", "Fiducial", 255, 0, 0, 255, 102.4f + dx, 102.4f + dy, 150f, 1, ""));
            var clock = Stopwatch.StartNew();
            await IgtlMessageWriter.WriteAsync(_writer, point);
            while (true)
            {
                using var m = await _reader.ReadAsync() ?? throw new IOException("server closed the connection");
                if (m is ImageMessage) return clock.Elapsed.TotalMilliseconds;
                if (m is StatusMessage s) throw new InvalidOperationException($"server answered {s.Code}: {s.Message}");
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _writer.CompleteAsync();
            _tcp.Dispose();
        }
    }

    /// <summary>Body (soft tissue ~40 HU) with an organ sphere (r 30 mm, ~120), a lesion (r 8 mm, ~60), air outside; noise σ 10.</summary>
    private static byte[] Phantom()
    {
        var values = new short[256 * 256 * 200];
        var random = new Random(42);
        for (int k = 0; k < 200; k++)
        for (int j = 0; j < 256; j++)
        for (int i = 0; i < 256; i++)
        {
            double x = i * 0.8, y = j * 0.8, z = k * 1.5;
            double body = Sq((x - 102.4) / 90) + Sq((y - 102.4) / 70);
            double organ = Sq(x - 102.4) + Sq(y - 102.4) + Sq(z - 150);
            double lesion = Sq(x - 112.4) + Sq(y - 94.4) + Sq(z - 155);
            double v = body > 1 ? -1000 : lesion < 64 ? 60 : organ < 900 ? 120 : 40;
            values[(k * 256 + j) * 256 + i] = (short)(v + (random.NextDouble() - 0.5) * 20);
        }
        return MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
    }

    private static double Sq(double v) => v * v;
}
