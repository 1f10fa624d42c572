using Microsoft.Extensions.Logging.Abstractions;
using SlicerBridge.Host.Connections;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Tests.Streaming;

/// <summary>
/// A session's stream subscriber over a client that is slow to read: frames that arrive while the previous one is still
/// being written are dropped for that client (its mask still follows an accepted frame), and nothing the relay disposes
/// after <c>SendAsync</c> returns is needed for the write.
/// </summary>
public sealed class SessionStreamSubscriberTests
{
    /// <summary>A client socket that takes no data until <see cref="Open"/> is called.</summary>
    private sealed class GatedStream : Stream
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public MemoryStream Written { get; } = new();
        public void Open() => _open.TrySetResult();
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await _open.Task.WaitAsync(cancellationToken);
            lock (Written) Written.Write(buffer.Span);
        }
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();
        public override void Flush() { }
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    private static ImageMessage Frame(string device, int index, byte value)
    {
        var image = new ImageMessage(device, IgtlScalarType.UInt8, 1, 4, 3, 1, Enumerable.Repeat(value, 12).ToArray()) { HeaderVersion = 2 };
        image.Metadata.Set("FrameIndex", index.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return image;
    }

    [Fact]
    public async Task A_client_still_writing_a_frame_loses_the_next_ones_and_gets_owned_copies()
    {
        var socket = new GatedStream();
        var replies = new ReplyChannel(socket, 1, NullLogger.Instance, long.MaxValue, () => { });
        replies.SawHeaderVersion(2);
        var work = new BackgroundWork(1, NullLogger.Instance);
        var subscriber = new SessionStreamSubscriber("slow", replies, work);

        var frame1 = Frame("US", 1, 11);
        await subscriber.SendAsync(frame1, default);
        var seg1 = Frame("US_seg", 1, 1);
        await subscriber.SendAsync(seg1, default);
        // The relay disposes (and a pool may reuse) its messages once SendAsync returns.
        if (System.Runtime.InteropServices.MemoryMarshal.TryGetArray(frame1.Pixels, out var segment)) segment.AsSpan().Fill(99);

        await subscriber.SendAsync(Frame("US", 2, 22), default);        // frame 1 not written yet: dropped
        await subscriber.SendAsync(Frame("US_seg", 2, 1), default);
        await subscriber.SendAsync(new TransformMessage { DeviceName = "ImageToReference", HeaderVersion = 2 }, default);
        Assert.Equal(3, subscriber.Dropped);

        socket.Open();
        await work.WaitAsync();
        await subscriber.SendAsync(Frame("US", 3, 33), default);        // written by now: accepted again
        await work.WaitAsync();
        Assert.Equal(3, subscriber.Dropped);

        socket.Written.Position = 0;
        var reader = new IgtlMessageReader(socket.Written);
        var received = new List<ImageMessage>();
        while (await reader.ReadAsync(default) is { } m) received.Add(Assert.IsType<ImageMessage>(m));
        Assert.Equal(["US", "US_seg", "US"], received.Select(m => m.DeviceName));
        Assert.Equal(["1", "1", "3"], received.Select(m => m.Metadata["FrameIndex"]));
        Assert.All(received[0].Pixels.ToArray(), b => Assert.Equal(11, b));   // the copy, not the buffer the relay reused
        Assert.All(received[2].Pixels.ToArray(), b => Assert.Equal(33, b));
    }
}
