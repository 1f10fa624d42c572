using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using SlicerBridge.Host.Tests.Support;

namespace SlicerBridge.Host.Tests.Hostile;

/// <summary>
/// A real <c>slicerbridge serve</c> process for the OpenIGTLink family of the hostile corpus: its own peak RSS
/// (VmHWM from /proc) belongs to the case alone, and its log is checked for stack traces when it stops.
/// </summary>
internal sealed class ServeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();

    public int Port { get; }
    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);
    public IReadOnlyCollection<string> Log => _log;

    private ServeProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        process.OutputDataReceived += (_, e) => { if (e.Data is { } l) _log.Enqueue(l); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } l) _log.Enqueue(l); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static async Task<ServeProcess> StartAsync(params string[] settings)
    {
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0)) { l.Start(); port = ((IPEndPoint)l.LocalEndpoint).Port; }
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "slicerbridge.dll"), "serve", "--port", port.ToString(CultureInfo.InvariantCulture),
                     "--parallelism", "1", "--Logging:LogLevel:Default=Warning" }.Concat(settings))
            info.ArgumentList.Add(a);
        var serve = new ServeProcess(Process.Start(info)!, port);
        for (int i = 0; i < 300; i++)
        {
            try
            {
                // From an address of its own, so the probe never counts against a case's connections from 127.0.0.1.
                await using var probe = await TestClient.ConnectAsync(serve.EndPoint, 2, IPAddress.Parse("127.0.0.9"));
                return serve;
            }
            catch (SocketException) { await Task.Delay(100); }
        }
        await serve.DisposeAsync();
        throw new InvalidOperationException($"serve did not start listening: {string.Join(" | ", serve._log)}");
    }

    public Task<TestClient> ConnectAsync(IPAddress? from = null) => TestClient.ConnectAsync(EndPoint, 2, from);

    /// <summary>The most resident memory the server process has had, in MiB.</summary>
    public long PeakRssMb => StatusKilobytes("VmHWM:") / 1024;

    /// <summary>The server process's resident memory now, in MiB.</summary>
    public long RssMb => StatusKilobytes("VmRSS:") / 1024;

    private long StatusKilobytes(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            if (line.StartsWith(field, StringComparison.Ordinal))
                return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        return -1;
    }

    /// <summary>Stops the server with SIGTERM; asserts it exits 0 without a stack trace in its log.</summary>
    public async Task StopCleanlyAsync()
    {
        Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(timeout.Token);
        string log = string.Join("\n", _log);
        Assert.False(log.Contains("   at ", StringComparison.Ordinal) || log.Contains("Unhandled exception", StringComparison.Ordinal),
            $"stack trace in the server log:\n{log}");
        Assert.Equal(0, _process.ExitCode);
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
