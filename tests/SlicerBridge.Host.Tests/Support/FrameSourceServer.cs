using System.Net;
using System.Net.Sockets;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Tests.Support;

/// <summary>
/// A bounded PLUS-like frame source: an OpenIGTLink server that, to each client that connects, streams a fixed sequence
/// of 2-D frames as IMAGE (device <see cref="Device"/>, uint8, one slice, its IJK-to-RAS, a timestamp) each followed by
/// a TRANSFORM <c>ImageToReference</c>, at a set rate (0 = as fast as the socket takes them), the way PlusServer
/// broadcasts a tracked ultrasound channel. Stops after the sequence (or when disposed); can be restarted on its port.
/// </summary>
internal sealed class FrameSourceServer : IAsyncDisposable
{
    public const string Device = "Image_Reference";
    private readonly IReadOnlyList<(byte[] Pixels, double[] IjkToRas)> _frames;
    private readonly int _width, _height;
    private readonly double _framesPerSecond;
    private TcpListener? _listener;
    private CancellationTokenSource _stop = new();
    private Task _accept = Task.CompletedTask;
    private int _sent;

    public FrameSourceServer(IReadOnlyList<(byte[] Pixels, double[] IjkToRas)> frames, int width, int height, double framesPerSecond, int port = 0)
    {
        _frames = frames;
        (_width, _height, _framesPerSecond) = (width, height, framesPerSecond);
        Port = port;
    }

    public int Port { get; private set; }
    public int FramesSent => Volatile.Read(ref _sent);

    public FrameSourceServer Start()
    {
        _stop = new CancellationTokenSource();
        _listener = new TcpListener(IPAddress.Loopback, Port);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accept = AcceptAsync(_listener, _stop.Token);
        return this;
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        _listener?.Stop();
        try { await _accept; } catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException) { }
    }

    private async Task AcceptAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        var clients = new List<Task>();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(cancellationToken);
                clients.Add(StreamAsync(client, cancellationToken));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException) { }
        try { await Task.WhenAll(clients); } catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException) { }
    }

    private async Task StreamAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using (client)
        {
            var stream = client.GetStream();
            var start = DateTime.UtcNow;
            for (int i = 0; i < _frames.Count && !cancellationToken.IsCancellationRequested; i++)
            {
                if (_framesPerSecond > 0)
                {
                    var due = start + TimeSpan.FromSeconds(i / _framesPerSecond);
                    if (due > DateTime.UtcNow) await Task.Delay(due - DateTime.UtcNow, cancellationToken);
                }
                var (pixels, ijkToRas) = _frames[i];
                using var image = new ImageMessage(Device, IgtlScalarType.UInt8, 1, _width, _height, 1, pixels) { Timestamp = IgtlTimestamp.Now };
                image.SetIjkToRas(ijkToRas);
                using var transform = new TransformMessage { DeviceName = "ImageToReference", Timestamp = image.Timestamp };
                transform.SetMatrix(ijkToRas);
                await stream.WriteAsync(IgtlMessageWriter.ToArray(image), cancellationToken);
                await stream.WriteAsync(IgtlMessageWriter.ToArray(transform), cancellationToken);
                Interlocked.Increment(ref _sent);
            }
            // Stay connected, silent, like a source with nothing new, until stopped.
            try { await Task.Delay(Timeout.Infinite, cancellationToken); } catch (OperationCanceledException) { }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }
}
