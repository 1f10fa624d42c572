using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Tests.Cli;

/// <summary>SIGTERM to a real `slicerbridge serve` process with a request in flight: a graceful stop, not a kill.</summary>
public class ServeProcessShutdownTests
{
    [Fact]
    public async Task Sigterm_lets_the_shutdown_deadline_run_says_goodbye_and_exits_zero()
    {
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0)) { l.Start(); port = ((IPEndPoint)l.LocalEndpoint).Port; }
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "slicerbridge.dll"), "serve", "--port", port.ToString(),
                     "--parallelism", "1", "--queue-capacity", "1000", "--Server:ShutdownDeadlineSeconds=3", "--Logging:LogLevel:Default=Warning",
                     // SAM-Med3D (tiny fixture): every new scan costs one image encoding (tens of ms to a second, with the load).
                     "--Models:Default=sam", "--Models:List:0:Name=sam", "--Models:List:0:Kind=sam-med3d",
                     $"--Models:List:0:Checkpoint={SharedFixtures.SamMed3DTiny("checkpoint.pth")}",
                     $"--Models:List:0:Config={SharedFixtures.SamMed3DTiny("fixture.json")}" })
            info.ArgumentList.Add(a);
        using var server = Process.Start(info)!;
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        server.OutputDataReceived += (_, e) => { if (e.Data is { } l) log.Enqueue(l); };
        server.ErrorDataReceived += (_, e) => { if (e.Data is { } l) log.Enqueue(l); };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            TestClient? client = null;
            for (int i = 0; i < 300 && client is null; i++)
            {
                try { client = await TestClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), 2); }
                catch (SocketException) { await Task.Delay(100); }
            }
            Assert.NotNull(client);
            await using (client)
            {
                // Four hundred scans, each a new image encoding, one at a time, take longer than the 3 s deadline: the stop
                // must wait for the deadline, cancel the rest and say goodbye (System.CommandLine's default would kill
                // the process 2 s after the signal, without a goodbye).
                for (int v = 0; v < 400; v++)
                {
                    var (image, _) = TestImages.Ball($"scan{v}", 32, 4 + v % 10 + v / 10 * 0.25);
                    await client.SendAsync(image);
                    await client.SendAsync(TestImages.Points("PromptPos", (16, 16, 16)));
                }
                using (var first = await client.ReceiveAsync<ImageMessage>(60)) Assert.Equal("scan0_seg", first.DeviceName); // the queue is running
                var clock = Stopwatch.StartNew();
                Process.Start("kill", ["-TERM", server.Id.ToString()])!.WaitForExit();
                IgtlMessage? last = null;
                var seen = new List<string>();
                while (await client.ReceiveAsync(30) is { } m) { last = m; seen.Add($"{m} at {clock.Elapsed.TotalSeconds:0.0}"); }
                var goodbye = Assert.IsType<StatusMessage>(last);
                Assert.Equal(IgtlStatusCode.ShuttingDown, goodbye.Code);
                Assert.True(server.WaitForExit(30_000), "the server did not exit");
                Assert.Equal(0, server.ExitCode);
                Assert.True(clock.Elapsed > TimeSpan.FromSeconds(2), $"stopped after {clock.Elapsed.TotalSeconds:0.0} s: the request was not given its deadline; {string.Join(", ", seen)}; server log: {string.Join(" | ", log)}");
            }
        }
        finally
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
        }
    }
}
