using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SlicerBridge.Protocol;

namespace SlicerBridge.Bench.Reliability;

/// <summary>What one soak connection did and saw.</summary>
internal sealed record DamageConnection(int LocalPort, int Messages, Damage? Breaking, int Replies, string? ClientError);

/// <summary>
/// Damaged messages of every type over many connections in parallel. A connection sends a run of framing-intact
/// damage and then either a valid GET_STATUS (so it is answered at least once) or one framing-breaking damage, then
/// half-closes and reads every reply until the server closes.
/// </summary>
internal sealed class DamagePhase(IPEndPoint server, int workers, long targetMessages, TimeSpan timeLimit, int seed)
{
    private long _messages;
    private readonly ConcurrentBag<DamageConnection> _connections = [];
    private readonly ConcurrentDictionary<(string Type, Damage Damage), long> _matrix = new();

    public long Messages => Interlocked.Read(ref _messages);
    public IReadOnlyCollection<DamageConnection> Connections => _connections;
    public IReadOnlyDictionary<(string Type, Damage Damage), long> Matrix => _matrix;
    public TimeSpan Elapsed { get; private set; }

    public async Task RunAsync()
    {
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(timeLimit);
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(() => WorkAsync(new Random(seed * 1000 + w), stop.Token))));
        Elapsed = clock.Elapsed;
    }

    private async Task WorkAsync(Random rng, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested && Interlocked.Read(ref _messages) < targetMessages)
            _connections.Add(await OneConnectionAsync(rng));
    }

    private async Task<DamageConnection> OneConnectionAsync(Random rng)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(server);
        int port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        int replies = 0;
        var reading = Task.Run(async () =>
        {
            var reader = new IgtlMessageReader(stream);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                while (await reader.ReadAsync(timeout.Token) is { } m) { m.Dispose(); replies++; }
                return (string?)null;
            }
            catch (Exception ex) when (ex is IOException or SocketException) { return null; } // reset after the server closed
            catch (Exception ex) { return $"{ex.GetType().Name}: {ex.Message}"; }
        });

        int count = 1 + rng.Next(300);
        Damage? breaking = rng.Next(3) == 0 ? (Damage)(DamagedMessages.FramingIntactKinds + rng.Next(4)) : null;
        var batch = new MemoryStream();
        string? error;
        try
        {
            for (int n = 0; n < count; n++)
            {
                var damage = (Damage)rng.Next(DamagedMessages.FramingIntactKinds);
                var frame = DamagedMessages.Make(rng, damage, out var type);
                _matrix.AddOrUpdate((type, damage), 1, (_, v) => v + 1);
                batch.Write(frame);
                if (batch.Length > 64 * 1024) { await stream.WriteAsync(batch.GetBuffer().AsMemory(0, (int)batch.Length)); batch.SetLength(0); }
            }
            if (breaking is { } b)
            {
                batch.Write(DamagedMessages.Make(rng, b, out var type));
                _matrix.AddOrUpdate((type, b), 1, (_, v) => v + 1);
            }
            else batch.Write(DamagedMessages.StatusProbe);
            await stream.WriteAsync(batch.GetBuffer().AsMemory(0, (int)batch.Length));
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            // The server may close first (a damaged header it cannot frame past): what it did is in its log.
        }
        error = await reading;
        int sent = count + (breaking is null ? 0 : 1);
        Interlocked.Add(ref _messages, sent);
        return new DamageConnection(port, sent, breaking, replies, error);
    }
}
