using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using FsCheck;
using FsCheck.Fluent;
using SlicerBridge.Protocol;

namespace SlicerBridge.Protocol.Tests;

public class MalformedInputTests
{
    private static byte[] ValidImage(ushort version = 2)
    {
        var m = new ImageMessage("MRHead", IgtlScalarType.Int16, 1, 4, 3, 2, new byte[4 * 3 * 2 * 2]) { HeaderVersion = version };
        m.Metadata.Set("MRMLNodeName", "Volume");
        return IgtlMessageWriter.ToArray(m);
    }

    private static T Rejects<T>(byte[] bytes, IgtlReaderOptions? options = null) where T : IgtlProtocolException =>
        Assert.Throws<T>(() => WireVectorTests.ParseAll(bytes, options));

    private static byte[] Recrc(byte[] bytes)
    {
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(IgtlHeaderLayout.CrcOffset), IgtlCrc.Compute(bytes.AsSpan(IgtlHeaderLayout.Size)));
        return bytes;
    }

    [Fact]
    public void BadCrcIsChecksumMismatchWithFramingIntact()
    {
        var bytes = ValidImage();
        bytes[^1] ^= 1;
        var e = Rejects<IgtlChecksumMismatchException>(bytes);
        Assert.True(e.FramingIntact);
        Assert.Equal("IMAGE", e.Header.MessageType);
        Assert.IsType<ImageMessage>(WireVectorTests.ParseAll(bytes, new IgtlReaderOptions { VerifyCrc = false }));
    }

    [Fact]
    public void HugeBodySizeIsALimitBeforeAllocation()
    {
        var bytes = ValidImage();
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(IgtlHeaderLayout.BodySizeOffset), ulong.MaxValue);
        var e = Rejects<IgtlLimitExceededException>(bytes);
        Assert.False(e.FramingIntact);
        Assert.Equal(IgtlRejectReason.BodyTooLarge, e.Reason);
    }

    [Fact]
    public void BadHeaderVersion()
    {
        var bytes = ValidImage();
        bytes[1] = 3;
        Assert.Equal(IgtlRejectReason.UnsupportedHeaderVersion, Rejects<IgtlProtocolException>(bytes).Reason);
    }

    [Theory]
    [InlineData(0, 2, IgtlRejectReason.UnsupportedImageHeaderVersion)] // image header version 2
    [InlineData(2, 0, IgtlRejectReason.InvalidComponentCount)]
    [InlineData(3, 9, IgtlRejectReason.UnknownScalarType)]
    [InlineData(67, 9, IgtlRejectReason.InvalidSubVolume)]          // DRI low byte: 4 -> 9 > RI
    public void ImageHeaderFieldErrors(int offset, byte value, IgtlRejectReason reason)
    {
        var bytes = ValidImage(1);
        if (offset == 0) bytes[58 + 1] = value; else bytes[58 + offset] = value;
        var e = Rejects<IgtlMalformedMessageException>(Recrc(bytes));
        Assert.Equal(reason, e.Reason);
        Assert.True(e.FramingIntact);
    }

    [Fact]
    public void ImageSizeMismatchMessageIsClear()
    {
        var bytes = ValidImage(1);
        bytes[58 + 7] = 5; // RI 4 -> 5, sub size too
        bytes[58 + 67] = 5;
        var e = Rejects<IgtlMalformedMessageException>(Recrc(bytes));
        Assert.Equal("IMAGE 'MRHead': 5x3x2 int16 needs 60 pixel bytes, body has 48", e.Message);
    }

    [Fact]
    public void ZeroSpacingAndNaNMatrix()
    {
        var bytes = ValidImage(1);
        bytes.AsSpan(58 + 12, 12).Clear();
        Assert.Equal(IgtlRejectReason.ZeroSpacing, Rejects<IgtlMalformedMessageException>(Recrc(bytes)).Reason);
        bytes = ValidImage(1);
        BinaryPrimitives.WriteSingleBigEndian(bytes.AsSpan(58 + 48), float.NaN);
        Assert.Equal(IgtlRejectReason.NonFiniteMatrix, Rejects<IgtlMalformedMessageException>(Recrc(bytes)).Reason);
    }

    [Fact]
    public void MetadataSizeOverflowingTheBody()
    {
        var bytes = ValidImage(2);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(58 + 4), 60000);
        Assert.Equal(IgtlRejectReason.MalformedMetadata, Rejects<IgtlMalformedMessageException>(Recrc(bytes)).Reason);
        Assert.Equal(IgtlRejectReason.MetadataTooLarge,
            Rejects<IgtlLimitExceededException>(bytes, new IgtlReaderOptions { MaxMetadataBytes = 100 }).Reason);
    }

    [Fact]
    public void ImageDimensionLimit() =>
        Assert.Equal(IgtlRejectReason.ImageTooLarge, Rejects<IgtlLimitExceededException>(ValidImage(), new IgtlReaderOptions { MaxImageDimension = 3 }).Reason);

    [Fact]
    public async Task TruncatedStreamsRaiseTruncated()
    {
        var bytes = ValidImage();
        foreach (int cut in new[] { 10, 57, 58, 70, bytes.Length - 1 })
        {
            var reader = new IgtlMessageReader(PipeReader.Create(new ReadOnlySequence<byte>(bytes.AsMemory(0, cut))));
            var e = await Assert.ThrowsAsync<IgtlTruncatedMessageException>(async () => await reader.ReadAsync());
            Assert.False(e.FramingIntact);
            Assert.Equal(cut < 58 ? IgtlRejectReason.TruncatedHeader : IgtlRejectReason.TruncatedBody, e.Reason);
        }
    }

    [Fact]
    public async Task ReaderFedOneByteAtATimeThroughAPipe()
    {
        var first = ValidImage();
        var second = IgtlMessageWriter.ToArray(new StringMessage { DeviceName = "s", Value = "after", HeaderVersion = 1 });
        var corrupted = (byte[])second.Clone();
        corrupted[^1] ^= 0xFF;
        byte[] stream = [.. first, .. corrupted, .. second];
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        var writer = Task.Run(async () =>
        {
            foreach (byte b in stream) { await pipe.Writer.WriteAsync(new[] { b }); }
            await pipe.Writer.CompleteAsync();
        });
        var reader = new IgtlMessageReader(pipe.Reader);
        using (var img = Assert.IsType<ImageMessage>(await reader.ReadAsync()))
            Assert.Equal(48, img.Pixels.Length);
        var crc = await Assert.ThrowsAsync<IgtlChecksumMismatchException>(async () => await reader.ReadAsync());
        Assert.True(crc.FramingIntact);
        Assert.Equal("after", Assert.IsType<StringMessage>(await reader.ReadAsync()).Value);
        Assert.Null(await reader.ReadAsync());
        await writer;
    }

    /// <summary>Random corruption/truncation of valid messages: only IgtlProtocolException subclasses, never another type or a hang.</summary>
    [Fact]
    public void RandomCorruptionOnlyRaisesProtocolExceptions()
    {
        byte[][] seeds =
        [
            ValidImage(1), ValidImage(2),
            IgtlMessageWriter.ToArray(new StringMessage { Value = "hello" }),
            IgtlMessageWriter.ToArray(new CommandMessage { CommandName = "Segment", Content = "{}" }),
            IgtlMessageWriter.ToArray(new StatusMessage { Message = "m" }),
            IgtlMessageWriter.ToArray(new PointMessage { Points = { new PointElement("a", "b", 1, 2, 3, 4, 1, 2, 3, 0, "") } }),
        ];
        var gen =
            from seed in Gen.Choose(0, seeds.Length - 1)
            from edits in Gen.ListOf(Gen.Zip(Gen.Choose(0, 400), Gen.Choose(0, 255)))
            from cut in Gen.Choose(0, 500)
            from fixCrc in Gen.Elements(true, false)
            select (seed, edits.ToArray(), cut, fixCrc);
        var prop = Prop.ForAll(gen.ToArbitrary(), input =>
        {
            var (seed, edits, cut, fixCrc) = input;
            var bytes = (byte[])seeds[seed].Clone();
            foreach (var (pos, val) in edits) if (pos < bytes.Length) bytes[pos] = (byte)val;
            if (fixCrc && bytes.Length >= 58) Recrc(bytes);
            bytes = bytes.AsSpan(0, Math.Min(cut, bytes.Length)).ToArray();
            try
            {
                var reader = new IgtlMessageReader(PipeReader.Create(new ReadOnlySequence<byte>(bytes)));
                var task = Task.Run(async () => { while (await reader.ReadAsync() is { } m) m.Dispose(); });
                if (!task.Wait(TimeSpan.FromSeconds(10))) return false; // hang
                return true;
            }
            catch (AggregateException e) when (e.InnerException is IgtlProtocolException) { return true; }
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000), prop);
    }
}
