using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace SlicerBridge.Bench.Reliability;

/// <summary>
/// The server under test as its own process (so its memory and its crashes are its own), on a free loopback port,
/// with its log read line by line: which client port became which connection, which connections closed, and every
/// logged reason per connection.
/// </summary>
internal sealed partial class SoakServer : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentDictionary<int, long> _connectionOfPort = new();
    private readonly ConcurrentDictionary<long, byte> _closed = new();
    private readonly ConcurrentDictionary<long, string> _reasonOf = new();
    private readonly ConcurrentDictionary<string, long> _reasonCounts = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private long _lines;

    public SoakServer(IReadOnlyDictionary<string, string> settings)
    {
        Port = FreePort();
        string dll = Path.Combine(AppContext.BaseDirectory, "slicerbridge.dll");
        var args = new List<string>
        {
            dll, "serve", "--port", Port.ToString(CultureInfo.InvariantCulture),
            // One line per entry; connection open/close and every rejection are logged (Information / Warning).
            "--Logging:Console:FormatterName=systemd", "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:SlicerBridge.Host.Networking=Information", "--Logging:LogLevel:SlicerBridge.Host.Connections=Information",
        };
        foreach (var (k, v) in settings) args.Add($"--{k}={v}");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is { } line) OnLine(line); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) { _errors.Enqueue(line); OnLine(line); } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Port { get; }
    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);
    public int ProcessId => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;
    public long LogLines => Interlocked.Read(ref _lines);
    public IReadOnlyDictionary<string, long> ReasonCounts => _reasonCounts;
    public IEnumerable<string> ErrorLines => _errors;

    public async Task WaitListeningAsync()
    {
        for (int i = 0; i < 600; i++)
        {
            if (_process.HasExited) throw new InvalidOperationException($"server exited with {_process.ExitCode}: {string.Join(" | ", _errors)}");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(EndPoint);
                return;
            }
            catch (SocketException) { await Task.Delay(100); }
        }
        throw new TimeoutException("server did not listen");
    }

    /// <summary>Resident set size of the server process (VmRSS), bytes.</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        return 0;
    }

    /// <summary>The server's connection id for a client's local port, once the server has logged the accept.</summary>
    public long? ConnectionOf(int clientPort) => _connectionOfPort.TryGetValue(clientPort, out var id) ? id : null;
    public bool IsClosed(long connection) => _closed.ContainsKey(connection);
    public string? ReasonOf(long connection) => _reasonOf.TryGetValue(connection, out var r) ? r : null;

    /// <summary>Asks for a graceful stop (SIGTERM, as systemd or Kubernetes would).</summary>
    public void Terminate() => Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    private void OnLine(string line)
    {
        Interlocked.Increment(ref _lines);
        if (line.Contains(" accepted", StringComparison.Ordinal) && Accepted().Match(line) is { Success: true } a)
            _connectionOfPort[int.Parse(a.Groups[2].Value, CultureInfo.InvariantCulture)] = long.Parse(a.Groups[1].Value, CultureInfo.InvariantCulture);
        else if (line.EndsWith(" closed", StringComparison.Ordinal) && Closed().Match(line) is { Success: true } c)
            _closed[long.Parse(c.Groups[1].Value, CultureInfo.InvariantCulture)] = 0;
        else if (Reason().Match(line) is { Success: true } r)
        {
            long id = long.Parse(r.Groups[1].Value, CultureInfo.InvariantCulture);
            string reason = r.Groups.Values.Skip(2).FirstOrDefault(g => g.Success)?.Value ?? "CommandFailed";
            _reasonOf.TryAdd(id, reason);
            _reasonCounts.AddOrUpdate(reason, 1, (_, n) => n + 1);
        }
        if (line.StartsWith("<3>", StringComparison.Ordinal) || line.StartsWith("<2>", StringComparison.Ordinal)) _errors.Enqueue(line); // LogError / LogCritical
    }

    [GeneratedRegex(@"Connection (\d+) from 127\.0\.0\.1:(\d+) accepted")]
    private static partial Regex Accepted();
    [GeneratedRegex(@"Connection (\d+) from \S+ closed$")]
    private static partial Regex Closed();
    // "rejected message from 'dev': Reason ...", "closing after Reason", "client stream ended (...)", "'dev' rejected: Name ..."
    [GeneratedRegex(@"Connection (\d+): (?:rejected message from '[^']*': (\w+)|closing(?: after|,)? (\w+)|(client stream ended)|'[^']*' rejected: (\w+)|COMMAND \d+ \S* failed)")]
    private static partial Regex Reason();

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); _process.WaitForExit(5000); }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
