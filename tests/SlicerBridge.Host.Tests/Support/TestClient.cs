using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Tests.Support;

/// <summary>An OpenIGTLink client built on the protocol library, as Slicer's connector would behave.</summary>
internal sealed class TestClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly PipeWriter _writer;
    private readonly IgtlMessageReader _reader;
    private uint _nextCommandId = 100;

    public ushort HeaderVersion { get; set; }

    private TestClient(TcpClient tcp, ushort headerVersion)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _writer = PipeWriter.Create(_stream);
        _reader = new IgtlMessageReader(PipeReader.Create(_stream));
        HeaderVersion = headerVersion;
    }

    /// <param name="localAddress">The client's own address (e.g. 127.0.0.2, another loopback address), or the system's choice.</param>
    public static async Task<TestClient> ConnectAsync(IPEndPoint endPoint, ushort headerVersion, IPAddress? localAddress = null)
    {
        var tcp = localAddress is null ? new TcpClient() : new TcpClient(new IPEndPoint(localAddress, 0));
        tcp.NoDelay = true;
        await tcp.ConnectAsync(endPoint);
        return new TestClient(tcp, headerVersion);
    }

    public Socket Socket => _tcp.Client;

    public async Task SendAsync(IgtlMessage message)
    {
        message.HeaderVersion = HeaderVersion;
        await IgtlMessageWriter.WriteAsync(_writer, message);
    }

    public Task SendRawAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask();

    /// <summary>The next message, or null when the server closed the connection.</summary>
    public async Task<IgtlMessage?> ReceiveAsync(double timeoutSeconds = 20)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try { return await _reader.ReadAsync(cts.Token); }
        catch (Exception ex) when (ex is IOException or SocketException) { return null; }
        catch (OperationCanceledException) { throw new TimeoutException($"No message from the server within {timeoutSeconds} s."); }
    }

    public async Task<T> ReceiveAsync<T>(double timeoutSeconds = 20) where T : IgtlMessage
    {
        var message = await ReceiveAsync(timeoutSeconds) ?? throw new InvalidOperationException($"Connection closed while waiting for {typeof(T).Name}.");
        return message as T ?? throw new InvalidOperationException($"Expected {typeof(T).Name}, got {message}"
            + (message is StatusMessage s ? $": {s.Code} {s.ErrorName} {s.Message}" : message is RtsCommandMessage r ? $": {r.Content}" : ""));
    }

    /// <summary>Sends a COMMAND and collects everything up to its RTS_COMMAND (labelmaps sent before it included).</summary>
    public async Task<(RtsCommandMessage Reply, List<IgtlMessage> Before)> CommandAsync(string name, string content = "{}")
    {
        uint id = _nextCommandId++;
        await SendAsync(new CommandMessage { DeviceName = "command", CommandId = id, CommandName = name, Content = content });
        var before = new List<IgtlMessage>();
        while (true)
        {
            var m = await ReceiveAsync() ?? throw new InvalidOperationException($"Connection closed while waiting for RTS_COMMAND {name}.");
            if (m is RtsCommandMessage rts && rts.CommandId == id)
            {
                Assert.Equal(name, rts.CommandName);
                return (rts, before);
            }
            before.Add(m);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try { await _writer.CompleteAsync(); }
        catch (IOException) { } // the server cut this client off (the tests of its limits do that on purpose)
        _tcp.Dispose();
    }
}
