using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SlicerBridge.Protocol;

namespace SlicerBridge.Bench.Reliability;

/// <summary>The soak's phases with well-formed clients: concurrent segmentations, clients cut mid-IMAGE, shutdown mid-request.</summary>
internal static class ClientPhases
{
    /// <summary>
    /// <paramref name="clients"/> clients at once, each with its own ball (own size, place and RAS origin), for
    /// <paramref name="rounds"/> rounds with a new volume each round (the cache must evict under its budget). Returns failures.
    /// </summary>
    public static async Task<(int Labelmaps, List<string> Failures, double Seconds)> ConcurrentSegmentationsAsync(IPEndPoint server, int clients, int rounds, int n)
    {
        var clock = Stopwatch.StartNew();
        var failures = new List<string>();
        int labelmaps = 0;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            try
            {
                await using var client = await SoakClient.ConnectAsync(server);
                for (int round = 0; round < rounds; round++)
                {
                    string name = $"c{c}r{round}";
                    double radius = 6 + (c + round) % 9;
                    var centre = (n / 2 + (c % 5) - 2, n / 2 + (c / 5 % 4) - 2, n / 2 + round - 1);
                    var (image, truth) = SoakClient.Ball(name, n, radius, centre, c * 50 + round * 7);
                    await client.SendAsync(image);
                    double[] m = image.GetIjkToRas();
                    var click = new PointMessage { DeviceName = "PromptPos" };
                    click.Points.Add(new PointElement("P", "Fiducial", 255, 0, 0, 255,
                        (float)(m[3] + centre.Item1), (float)(m[7] + centre.Item2), (float)(m[11] + centre.Item3), 1, ""));
                    await client.SendAsync(click);
                    using var reply = await client.ReceiveAsync();
                    if (reply is not ImageMessage labelmap) { lock (failures) failures.Add($"{name}: got {reply?.ToString() ?? "connection closed"}"); return; }
                    double dice = SoakClient.Dice(labelmap, truth);
                    bool sameGrid = labelmap.SizeI == n && labelmap.GetIjkToRas().Zip(m).All(p => Math.Abs(p.First - p.Second) < 1e-4);
                    if (labelmap.DeviceName != $"{name}_seg" || labelmap.Metadata["RequestId"] != $"{name}#1" || !sameGrid || dice < 0.9)
                        lock (failures) failures.Add($"{name}: device {labelmap.DeviceName}, request {labelmap.Metadata["RequestId"]}, grid {sameGrid}, Dice {dice:0.000}");
                    else Interlocked.Increment(ref labelmaps);
                }
            }
            catch (Exception ex) { lock (failures) failures.Add($"client {c}: {ex.GetType().Name}: {ex.Message}"); }
        }));
        return (labelmaps, failures, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Clients that send part of a large IMAGE and then vanish (connection reset, no goodbye).</summary>
    public static async Task<int> CutMidImageAsync(IPEndPoint server, int connections, int parallel, int seed)
    {
        const int ni = 256, nj = 256, nk = 128; // 16 MiB of int16 pixels
        var image = new ImageMessage("cut", IgtlScalarType.Int16, 1, ni, nj, nk, new byte[ni * nj * nk * 2]) { HeaderVersion = 2 };
        byte[] frame = IgtlMessageWriter.ToArray(image);
        int done = 0;
        var gate = new SemaphoreSlim(parallel);
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async c =>
        {
            await gate.WaitAsync();
            try
            {
                var rng = new Random(seed + c);
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(server);
                int upTo = rng.Next(1, frame.Length - 1);
                try { await socket.SendAsync(frame.AsMemory(0, upTo)); }
                catch (SocketException) { }
                socket.LingerState = new LingerOption(true, 0); // close = reset: the cable pulled, not a goodbye
                socket.Close();
                Interlocked.Increment(ref done);
            }
            finally { gate.Release(); }
        }));
        return done;
    }

    /// <summary>
    /// Clients with segmentations queued or running when the server is told to stop: each must get its labelmap or not,
    /// and then STATUS ShuttingDown before the connection closes.
    /// </summary>
    public static async Task<(int Clients, int Labelmaps, int Goodbyes, List<string> Failures)> ShutdownMidRequestAsync(
        SoakServer server, int clients, int n, TimeSpan after)
    {
        var failures = new List<string>();
        int labelmaps = 0, goodbyes = 0;
        var sessions = new List<SoakClient>();
        for (int c = 0; c < clients; c++) sessions.Add(await SoakClient.ConnectAsync(server.EndPoint));
        var work = sessions.Select(async (client, c) =>
        {
            string name = $"stop{c}";
            var (image, _) = SoakClient.Ball(name, n, n / 4.0, (n / 2, n / 2, n / 2), c * 3);
            await client.SendAsync(image);
            double[] m = image.GetIjkToRas();
            var click = new PointMessage { DeviceName = "PromptPos" };
            click.Points.Add(new PointElement("P", "Fiducial", 255, 0, 0, 255, (float)(m[3] + n / 2), (float)(m[7] + n / 2), (float)(m[11] + n / 2), 1, ""));
            await client.SendAsync(click);
            IgtlMessage? last = null;
            while (await client.ReceiveAsync(60) is { } reply)
            {
                if (reply is ImageMessage) Interlocked.Increment(ref labelmaps);
                last?.Dispose();
                last = reply;
            }
            if (last is StatusMessage { Code: IgtlStatusCode.ShuttingDown }) Interlocked.Increment(ref goodbyes);
            else lock (failures) failures.Add($"{name}: last message before close was {last?.ToString() ?? "none"}");
            last?.Dispose();
        }).ToList();
        await Task.Delay(after);
        server.Terminate();
        await Task.WhenAll(work);
        foreach (var s in sessions) await s.DisposeAsync();
        return (clients, labelmaps, goodbyes, failures);
    }
}
