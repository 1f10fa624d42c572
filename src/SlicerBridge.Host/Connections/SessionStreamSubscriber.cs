using SlicerBridge.Host.Streaming;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Connections;

/// <summary>
/// A session's side of a live stream (docs/live-2d.md): frames and masks go through the connection's bounded
/// <see cref="ReplyChannel"/> without holding the relay. While a frame pair is still being written to this client, the
/// next frames (and TRANSFORMs) are dropped for it and counted, so a slow client loses frames instead of slowing the
/// stream for the others; the mask of a frame whose IMAGE was accepted always follows it.
/// </summary>
public sealed class SessionStreamSubscriber(string name, ReplyChannel replies, BackgroundWork work) : IStreamSubscriber
{
    private readonly object _gate = new();
    private int _pending;
    private string? _acceptedFrame;
    private long _dropped;
    private Task _tail = Task.CompletedTask;

    public string Name { get; } = name;

    /// <summary>Messages this client did not get because its previous frame was still being written.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public ValueTask SendAsync(IgtlMessage message, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string? frame = message.Metadata.TryGetValue("FrameIndex", out var index) ? index : null;
        // The relay disposes the message (and may reuse its pixels) when this returns: send an owned copy.
        IgtlMessage owned;
        Task sent;
        lock (_gate)
        {
            bool sameFrame = frame is not null && frame == _acceptedFrame;
            if (_pending > 0 && !sameFrame)
            {
                Interlocked.Increment(ref _dropped);
                return ValueTask.CompletedTask;
            }
            if (frame is not null) _acceptedFrame = frame;
            _pending++;
            owned = Copy(message);
            // Chained, so a frame, its mask and the TRANSFORMs reach the client in the relay's order.
            _tail = sent = _tail.ContinueWith(_ => WriteAsync(owned), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
        }
        work.Track(() => sent);
        return ValueTask.CompletedTask;
    }

    private async Task WriteAsync(IgtlMessage owned)
    {
        try { await replies.SendAsync(owned); }
        finally
        {
            (owned as IDisposable)?.Dispose();
            lock (_gate) _pending--;
        }
    }

    private static IgtlMessage Copy(IgtlMessage message)
    {
        if (message is not ImageMessage image) return message is TransformMessage t ? CopyTransform(t) : message;
        var copy = new ImageMessage(image.DeviceName, image.ScalarType, image.Components, image.SizeI, image.SizeJ, image.SizeK,
            image.Pixels.ToArray(), image.PixelEndianness) { Timestamp = image.Timestamp };
        copy.SetIjkToRas(image.GetIjkToRas());
        foreach (var (key, value) in image.Metadata) copy.Metadata.Set(key, value.Value, value.Encoding);
        return copy;
    }

    private static TransformMessage CopyTransform(TransformMessage t)
    {
        var copy = new TransformMessage { DeviceName = t.DeviceName, Timestamp = t.Timestamp };
        t.Matrix.CopyTo(copy.Matrix, 0);
        foreach (var (key, value) in t.Metadata) copy.Metadata.Set(key, value.Value, value.Encoding);
        return copy;
    }
}
