using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using SlicerBridge.Protocol;

namespace SlicerBridge.Bench.Reliability;

/// <summary>A well-behaved client (as Slicer's connector): one connection, messages out, replies in order.</summary>
internal sealed class SoakClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly IgtlMessageReader _reader;
    private uint _commandId;

    private SoakClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new IgtlMessageReader(_stream);
    }

    public static async Task<SoakClient> ConnectAsync(IPEndPoint server)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(server);
        return new SoakClient(socket);
    }

    public Socket Socket => _socket;
    public NetworkStream Stream => _stream;

    public ValueTask SendAsync(IgtlMessage message) => IgtlMessageWriter.WriteAsync(_stream, message);

    /// <summary>The next message, or null when the server closed the connection.</summary>
    public async Task<IgtlMessage?> ReceiveAsync(double seconds = 120)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try { return await _reader.ReadAsync(timeout.Token); }
        catch (Exception ex) when (ex is IOException or SocketException) { return null; }
    }

    public async Task<JsonElement> StatusAsync()
    {
        var id = ++_commandId;
        await SendAsync(new CommandMessage { DeviceName = "soak", CommandId = id, CommandName = "GetStatus", Content = "{}" });
        while (await ReceiveAsync() is { } m)
            using (m)
                if (m is RtsCommandMessage rts && rts.CommandId == id) return JsonDocument.Parse(rts.Content).RootElement.Clone();
        throw new IOException("connection closed while waiting for GetStatus");
    }

    /// <summary>A bright ball (200) in a dark (0) int16 volume, 1 mm voxels, placed at <paramref name="origin"/> in RAS.</summary>
    public static (ImageMessage Image, short[] Truth) Ball(string name, int n, double radius, (int I, int J, int K) centre, double originShift)
    {
        var values = new short[n * n * n];
        for (int k = 0; k < n; k++) for (int j = 0; j < n; j++) for (int i = 0; i < n; i++)
        {
            double di = i - centre.I, dj = j - centre.J, dk = k - centre.K;
            values[(k * n + j) * n + i] = (short)(Math.Sqrt(di * di + dj * dj + dk * dk) <= radius ? 200 : 0);
        }
        var image = new ImageMessage(name, IgtlScalarType.Int16, 1, n, n, n, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        image.SetIjkToRas([1, 0, 0, originShift, 0, 1, 0, -originShift, 0, 0, 1, 2 * originShift]);
        return (image, values);
    }

    /// <summary>Dice of a labelmap against the voxels &gt; 0 of the volume it answers.</summary>
    public static double Dice(ImageMessage labelmap, short[] truth)
    {
        var mask = labelmap.Pixels.Span;
        if (mask.Length != truth.Length) return 0;
        long t = 0, p = 0, both = 0;
        for (int v = 0; v < mask.Length; v++)
        {
            bool a = truth[v] > 0, b = mask[v] == 1;
            if (a) t++;
            if (b) p++;
            if (a && b) both++;
        }
        return 2.0 * both / Math.Max(1, t + p);
    }

    public async ValueTask DisposeAsync() => await _stream.DisposeAsync();
}
