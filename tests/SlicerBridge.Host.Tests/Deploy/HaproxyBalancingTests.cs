using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Tests.Deploy;

/// <summary>
/// deploy/haproxy/haproxy.cfg in front of two real server processes on loopback: concurrent clients are spread over
/// both (leastconn), each connection stays on its server, every client gets correct labelmaps, and killing one server
/// mid-run costs only that server's clients their connection.
/// </summary>
public sealed class HaproxyBalancingTests : IAsyncLifetime
{
    private readonly List<Process> _processes = [];
    private readonly Dictionary<string, Process> _servers = [];
    private int _balancerPort;

    private static string? HaproxyPath() =>
        new[] { "/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy" }.FirstOrDefault(File.Exists);

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SlicerBridge.sln"))) return dir.FullName;
        throw new InvalidOperationException("SlicerBridge.sln not found");
    }

    private Process Start(string file, string arguments, Dictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (k, v) in environment ?? []) info.Environment[k] = v;
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        return process;
    }

    private static async Task WaitListeningAsync(int port, Process process)
    {
        for (int i = 0; i < 300; i++)
        {
            if (process.HasExited) throw new InvalidOperationException($"{process.StartInfo.FileName} exited with {process.ExitCode}");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) { await Task.Delay(100); }
        }
        throw new TimeoutException($"nothing listens on port {port}");
    }

    public async Task InitializeAsync()
    {
        if (HaproxyPath() is not { } haproxy) return;
        string dll = Path.Combine(AppContext.BaseDirectory, "slicerbridge.dll");
        var ports = new Dictionary<string, int> { ["alpha"] = FreePort(), ["beta"] = FreePort() };
        foreach (var (name, port) in ports)
            _servers[name] = Start("dotnet", $"\"{dll}\" serve --port {port} --parallelism 1 --Server:InstanceName={name} --Logging:LogLevel:Default=Warning");
        foreach (var (name, port) in ports) await WaitListeningAsync(port, _servers[name]);
        _balancerPort = FreePort();
        var proxy = Start(haproxy, $"-db -f \"{Path.Combine(RepoRoot(), "deploy", "haproxy", "haproxy.cfg")}\"", new()
        {
            ["SLICERBRIDGE_LB_BIND"] = $"127.0.0.1:{_balancerPort}",
            ["SLICERBRIDGE_SERVER_1"] = $"127.0.0.1:{ports["alpha"]}",
            ["SLICERBRIDGE_SERVER_2"] = $"127.0.0.1:{ports["beta"]}",
        });
        await WaitListeningAsync(_balancerPort, proxy);
    }

    public Task DisposeAsync()
    {
        foreach (var p in _processes)
        {
            try { if (!p.HasExited) p.Kill(entireProcessTree: true); p.WaitForExit(5000); }
            catch (InvalidOperationException) { }
            p.Dispose();
        }
        return Task.CompletedTask;
    }

    private async Task<(TestClient Client, string Host)> ConnectThroughBalancerAsync()
    {
        var client = await TestClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _balancerPort), 2);
        var (status, _) = await client.CommandAsync("GetStatus");
        using var json = JsonDocument.Parse(status.Content);
        return (client, json.RootElement.GetProperty("host").GetProperty("instance").GetString()!);
    }

    /// <summary>One GrowCut segmentation of a ball; the labelmap must match it.</summary>
    private static async Task SegmentBallAsync(TestClient client, string name)
    {
        var (image, values) = TestImages.Ball(name, 24, 6);
        await client.SendAsync(image);
        await client.SendAsync(TestImages.Points("PromptPos", (12, 12, 12)));
        using var result = await client.ReceiveAsync<ImageMessage>(60);
        Assert.Equal($"{name}_seg", result.DeviceName);
        double dice = TestImages.Dice(result, values);
        Assert.True(dice > 0.9, $"{name}: Dice {dice:0.000}");
    }

    [SkippableFact]
    public async Task Clients_are_balanced_and_one_server_dying_leaves_the_others_clients_unharmed()
    {
        Skip.If(HaproxyPath() is null, "haproxy is not installed (Debian package haproxy; scripts/test.sh installs it)");
        const int clients = 8;
        var connected = new List<(TestClient Client, string Host)>();
        for (int c = 0; c < clients; c++) connected.Add(await ConnectThroughBalancerAsync()); // one by one: leastconn alternates
        try
        {
            var perHost = connected.GroupBy(c => c.Host).ToDictionary(g => g.Key, g => g.Count());
            Assert.Equal(new Dictionary<string, int> { ["alpha"] = clients / 2, ["beta"] = clients / 2 }, perHost);

            // Round 1, all clients at once: each served correctly, and still by the server it connected to.
            await Task.WhenAll(connected.Select((c, n) => SegmentBallAsync(c.Client, $"r1c{n}")));
            foreach (var (client, host) in connected)
            {
                var (status, _) = await client.CommandAsync("GetStatus");
                Assert.Contains($"\"instance\":\"{host}\"", status.Content);
            }

            // Kill alpha while every client is mid-run (segmentations in flight on both servers).
            var running = connected.Select(async (c, n) =>
            {
                try
                {
                    for (int round = 2; round <= 6; round++) await SegmentBallAsync(c.Client, $"r{round}c{n}");
                    return true;
                }
                catch (Exception ex) when (c.Host == "alpha" && ex is InvalidOperationException or IOException or SocketException or IgtlProtocolException)
                {
                    return false; // the connection to the killed server ended
                }
            }).ToList();
            await Task.Delay(150);
            _servers["alpha"].Kill(entireProcessTree: true);
            var finished = await Task.WhenAll(running);
            for (int c = 0; c < clients; c++)
                if (connected[c].Host == "beta") Assert.True(finished[c], $"beta client {c} did not finish"); // (a failure would have thrown)

            // alpha's clients lost their connection; nothing else happened to them.
            foreach (var (client, _) in connected.Where(c => c.Host == "alpha"))
            {
                try { await client.SendAsync(new QueryMessage("GET_STATUS")); } catch (IOException) { }
                Assert.Null(await client.ReceiveAsync(20));
            }

            // New connections go to the survivor, and are served.
            for (int c = 0; c < 3; c++)
            {
                var (client, host) = await ConnectThroughBalancerAsync();
                await using (client)
                {
                    Assert.Equal("beta", host);
                    await SegmentBallAsync(client, $"late{c}");
                }
            }
        }
        finally
        {
            foreach (var (client, _) in connected) await client.DisposeAsync();
        }
    }
}
