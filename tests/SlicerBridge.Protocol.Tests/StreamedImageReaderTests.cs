using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using SlicerBridge.Protocol;

namespace SlicerBridge.Protocol.Tests;

/// <summary>Large IMAGE bodies go through the reader's streamed path: validated head first, pixels straight into their pooled buffer.</summary>
public class StreamedImageReaderTests
{
    private static ImageMessage LargeVolume(ushort version)
    {
        const int ni = 64, nj = 48, nk = 40; // 245 760 pixel bytes: above the streamed threshold
        var pixels = new byte[ni * nj * nk * 2];
        for (int i = 0; i < pixels.Length / 2; i++) BinaryPrimitives.WriteInt16LittleEndian(pixels.AsSpan(2 * i), (short)(i * 7 - 30000));
        var m = new ImageMessage("LargeCT", IgtlScalarType.Int16, 1, ni, nj, nk, pixels) { HeaderVersion = version, MessageId = 9 };
        m.SetIjkToRas([0.8, 0.1, 0, -10, -0.1, 0.8, 0, 20, 0, 0, 2.5, -30]);
        if (version == 2) m.Metadata.Set("MRMLNodeName", "Volume");
        return m;
    }

    /// <summary>Through a default Pipe (64 KiB pause threshold) in 1000-byte writes; a framing-intact error becomes a STATUS named after it.</summary>
    private static async Task<List<IgtlMessage>> ReadThroughPipeAsync(byte[] bytes, IgtlReaderOptions? options = null) =>
        (await PipeFeed.ReadAllAsync(bytes, options))
            .Select(r => r as IgtlMessage ?? new StatusMessage { Message = r.GetType().Name })
            .ToList();

    [Theory]
    [InlineData((ushort)1)]
    [InlineData((ushort)2)]
    public async Task LargeImageIsReadWithoutBufferingTheWholeBody(ushort version)
    {
        using var sent = LargeVolume(version);
        var bytes = IgtlMessageWriter.ToArray(sent).Concat(IgtlMessageWriter.ToArray(new StringMessage { DeviceName = "after", Value = "next" })).ToArray();
        var messages = await ReadThroughPipeAsync(bytes);
        using var image = Assert.IsType<ImageMessage>(messages[0]);
        Assert.Equal(sent.Pixels.ToArray(), image.Pixels.ToArray());
        Assert.Equal(sent.WireMatrix, image.WireMatrix);
        Assert.Equal(version, image.HeaderVersion);
        if (version == 2)
        {
            Assert.Equal("Volume", image.Metadata["MRMLNodeName"]);
            Assert.Equal(9u, image.MessageId);
        }
        Assert.Equal("next", Assert.IsType<StringMessage>(messages[1]).Value);
    }

    [Fact]
    public async Task BadCrcOnALargeImageKeepsTheStreamAligned()
    {
        using var sent = LargeVolume(2);
        var bad = IgtlMessageWriter.ToArray(sent);
        bad[IgtlHeaderLayout.Size + 5000] ^= 0x40;
        var messages = await ReadThroughPipeAsync(bad.Concat(IgtlMessageWriter.ToArray(new StringMessage { DeviceName = "after", Value = "next" })).ToArray());
        Assert.Equal(nameof(IgtlChecksumMismatchException), Assert.IsType<StatusMessage>(messages[0]).Message);
        Assert.Equal("next", Assert.IsType<StringMessage>(messages[1]).Value);
    }

    [Fact]
    public async Task ImageLimitsAreCheckedOnTheHeadBeforeThePixelsArrive()
    {
        using var sent = LargeVolume(2);
        var bytes = IgtlMessageWriter.ToArray(sent);
        var pool = new CountingPool();
        var pipe = new Pipe();
        // Only the headers are written: a reader that waited for the pixels (or rented for them) would not answer.
        await pipe.Writer.WriteAsync(bytes.AsMemory(0, IgtlHeaderLayout.Size + 12 + ImageMessage.ImageHeaderSize));
        var reader = new IgtlMessageReader(pipe.Reader, new IgtlReaderOptions { MaxImageVoxels = 1000 }, pool);
        var reading = reader.ReadAsync().AsTask();
        await Task.Delay(200);
        Assert.False(reading.IsCompleted); // the limit error comes after the body is skipped, keeping the stream aligned
        await pipe.Writer.WriteAsync(bytes.AsMemory(IgtlHeaderLayout.Size + 12 + ImageMessage.ImageHeaderSize));
        await pipe.Writer.CompleteAsync();
        var e = await Assert.ThrowsAsync<IgtlLimitExceededException>(() => reading.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.True(e.FramingIntact);
        Assert.Equal(0, pool.Rentals);
        Assert.Null(await reader.ReadAsync());
    }

    [Fact]
    public async Task TruncatedLargeImageIsReported()
    {
        using var sent = LargeVolume(1);
        var bytes = IgtlMessageWriter.ToArray(sent);
        var e = await Assert.ThrowsAsync<IgtlTruncatedMessageException>(() => ReadThroughPipeAsync(bytes[..100_000]));
        Assert.Equal(IgtlRejectReason.TruncatedBody, e.Reason);
    }

    private sealed class CountingPool : ArrayPool<byte>
    {
        public int Rentals;
        public override byte[] Rent(int minimumLength) { Interlocked.Increment(ref Rentals); return new byte[minimumLength]; }
        public override void Return(byte[] array, bool clearArray = false) { }
    }
}
