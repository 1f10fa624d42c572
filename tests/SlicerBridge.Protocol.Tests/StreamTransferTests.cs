using System.Buffers.Binary;
using SlicerBridge.Protocol;

namespace SlicerBridge.Protocol.Tests;

/// <summary>
/// The stream paths: the writer sends pixels from the caller's memory, and a reader made over a stream reads large pixel
/// bodies straight into their buffer. Both must give exactly the bytes (and checks) of the buffered paths.
/// </summary>
public class StreamTransferTests
{
    /// <summary>Hands out at most <paramref name="chunk"/> bytes per read, as a socket does.</summary>
    private sealed class TrickleStream(byte[] bytes, int chunk) : Stream
    {
        private int _at;
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            int n = Math.Min(Math.Min(chunk, buffer.Length), bytes.Length - _at);
            bytes.AsSpan(_at, n).CopyTo(buffer);
            _at += n;
            return n;
        }
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static ImageMessage Volume(ushort version, int nk = 40)
    {
        const int ni = 64, nj = 48;
        var pixels = new byte[ni * nj * nk * 2];
        for (int i = 0; i < pixels.Length / 2; i++) BinaryPrimitives.WriteInt16LittleEndian(pixels.AsSpan(2 * i), (short)(i * 13 - 20000));
        var m = new ImageMessage("CT", IgtlScalarType.Int16, 1, ni, nj, nk, pixels) { HeaderVersion = version, MessageId = 3 };
        m.SetIjkToRas([0.8, 0, 0, -10, 0, 0.8, 0, 20, 0, 0, 2.5, -30]);
        if (version == 2) m.Metadata.Set("MRMLNodeName", "Volume");
        return m;
    }

    [Theory]
    [InlineData((ushort)1, 40)]
    [InlineData((ushort)2, 40)]
    [InlineData((ushort)2, 1)] // 6 KiB of pixels: the coalesced small-message write
    public async Task Stream_writer_is_byte_exact_with_the_buffer_writer(ushort version, int nk)
    {
        using var image = Volume(version, nk);
        var status = new StatusMessage { DeviceName = "s", Message = "ok", HeaderVersion = version };
        using var sink = new MemoryStream();
        await IgtlMessageWriter.WriteAsync(sink, image);
        await IgtlMessageWriter.WriteAsync(sink, status);
        Assert.Equal(IgtlMessageWriter.ToArray(image).Concat(IgtlMessageWriter.ToArray(status)), sink.ToArray());
    }

    [Theory]
    [InlineData((ushort)1, 1000)]
    [InlineData((ushort)2, 1000)]
    [InlineData((ushort)2, 70_000)]
    public async Task Reader_over_a_stream_reads_large_pixels_directly_and_keeps_framing(ushort version, int chunk)
    {
        using var sent = Volume(version);
        var bytes = IgtlMessageWriter.ToArray(sent).Concat(IgtlMessageWriter.ToArray(new StringMessage { DeviceName = "after", Value = "next" })).ToArray();
        var reader = new IgtlMessageReader(new TrickleStream(bytes, chunk));
        using var image = Assert.IsType<ImageMessage>(await reader.ReadAsync());
        Assert.Equal(sent.Pixels.ToArray(), image.Pixels.ToArray());
        Assert.Equal(sent.WireMatrix, image.WireMatrix);
        if (version == 2) Assert.Equal("Volume", image.Metadata["MRMLNodeName"]);
        Assert.Equal("next", Assert.IsType<StringMessage>(await reader.ReadAsync()).Value);
        Assert.Null(await reader.ReadAsync());
    }

    [Fact]
    public async Task Direct_read_detects_a_flipped_pixel_bit_and_stays_aligned()
    {
        using var sent = Volume(2);
        var image = IgtlMessageWriter.ToArray(sent);
        image[image.Length / 2] ^= 0x10;
        var bytes = image.Concat(IgtlMessageWriter.ToArray(new StringMessage { DeviceName = "after", Value = "next" })).ToArray();
        var reader = new IgtlMessageReader(new TrickleStream(bytes, 4096));
        var ex = await Assert.ThrowsAsync<IgtlChecksumMismatchException>(async () => await reader.ReadAsync());
        Assert.True(ex.FramingIntact);
        Assert.Equal("next", Assert.IsType<StringMessage>(await reader.ReadAsync()).Value);
    }

    [Fact]
    public async Task Direct_read_reports_a_stream_cut_inside_the_pixels()
    {
        using var sent = Volume(1);
        var bytes = IgtlMessageWriter.ToArray(sent);
        var reader = new IgtlMessageReader(new TrickleStream(bytes[..(bytes.Length * 2 / 3)], 8192));
        var ex = await Assert.ThrowsAsync<IgtlTruncatedMessageException>(async () => await reader.ReadAsync());
        Assert.Equal(IgtlRejectReason.TruncatedBody, ex.Reason);
    }

    [Fact]
    public async Task Reader_times_out_inside_a_message_and_between_messages_only_when_asked()
    {
        var options = new IgtlReaderOptions { MessageReadTimeout = TimeSpan.FromMilliseconds(300), IdleTimeout = TimeSpan.FromMilliseconds(600) };
        var silent = new System.IO.Pipelines.Pipe();
        var idle = await Assert.ThrowsAsync<IgtlTimeoutException>(async () => await new IgtlMessageReader(silent.Reader, options).ReadAsync());
        Assert.Equal(IgtlRejectReason.ConnectionIdle, idle.Reason);
        Assert.False(idle.FramingIntact);

        // Inside a message only the message timeout applies: with an idle timeout of an hour this still ends at once.
        var inside = options with { IdleTimeout = TimeSpan.FromHours(1) };
        var stalled = new System.IO.Pipelines.Pipe();
        await stalled.Writer.WriteAsync(IgtlMessageWriter.ToArray(new StringMessage { DeviceName = "d", Value = "v" }).AsMemory(0, 40));
        var mid = await Assert.ThrowsAsync<IgtlTimeoutException>(async () =>
            await new IgtlMessageReader(stalled.Reader, inside).ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(IgtlRejectReason.MessageTimedOut, mid.Reason);

        var untimed = new System.IO.Pipelines.Pipe();
        var read = new IgtlMessageReader(untimed.Reader).ReadAsync().AsTask();
        await Task.Delay(400);
        Assert.False(read.IsCompleted);
        await untimed.Writer.WriteAsync(IgtlMessageWriter.ToArray(new StringMessage { DeviceName = "d", Value = "late" }));
        Assert.Equal("late", Assert.IsType<StringMessage>(await read).Value);
    }
}
