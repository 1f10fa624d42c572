using System.IO.Pipelines;
using SlicerBridge.Protocol;

namespace SlicerBridge.Protocol.Tests;

/// <summary>
/// Unknown message types and oversize non-IMAGE bodies are skipped as their bytes arrive: through a Pipe whose writer
/// pauses at 64 KiB, a reader that buffered the whole body first would never finish.
/// </summary>
public class StreamedSkipTests
{
    private static byte[] Frame(string type, string device, byte[] body, bool corruptCrc = false)
    {
        var header = new IgtlHeader(1, type, device, default, (ulong)body.Length, IgtlCrc.Compute(body) ^ (corruptCrc ? 1UL : 0UL));
        var bytes = new byte[IgtlHeaderLayout.Size + body.Length];
        header.Encode(bytes);
        body.CopyTo(bytes, IgtlHeaderLayout.Size);
        return bytes;
    }

    private static byte[] Body(int size)
    {
        var body = new byte[size];
        new Random(size).NextBytes(body);
        return body;
    }

    private static Task<List<object>> ReadAllAsync(byte[] stream, IgtlReaderOptions? options = null) =>
        PipeFeed.ReadAllAsync(stream, options, chunk: 4096, new PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024));

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static byte[] Hello() => IgtlMessageWriter.ToArray(new StringMessage { DeviceName = "after", Value = "hello" });

    [Fact]
    public async Task LargeUnknownTypeIsSkippedWithoutBufferingAndTheStreamStaysAligned()
    {
        var results = await ReadAllAsync(Concat(Frame("VIDEO", "cam", Body(3 << 20)), Hello()));
        var unknown = Assert.IsType<UnknownMessage>(results[0]);
        Assert.Equal("VIDEO", unknown.MessageType);
        Assert.Equal("cam", unknown.DeviceName);
        Assert.Equal(3UL << 20, unknown.BodySize);
        Assert.Equal("hello", Assert.IsType<StringMessage>(results[1]).Value);
        Assert.Equal(2, results.Count);
    }

    [Fact]
    public async Task SkippedUnknownBodyStillHasItsCrcChecked()
    {
        var results = await ReadAllAsync(Concat(Frame("VIDEO", "cam", Body(1 << 20), corruptCrc: true), Hello()));
        Assert.IsType<IgtlChecksumMismatchException>(results[0]);
        Assert.IsType<StringMessage>(results[1]);

        var unchecked_ = await ReadAllAsync(Concat(Frame("VIDEO", "cam", Body(1 << 20), corruptCrc: true), Hello()),
            IgtlReaderOptions.Default with { VerifyCrc = false });
        Assert.IsType<UnknownMessage>(unchecked_[0]);
    }

    [Theory]
    [InlineData(false)] // arrives in pieces: skipped while streaming
    [InlineData(true)]  // small limit, body fully buffered: rejected on the parse path
    public async Task OversizeKnownNonImageBodyIsRejectedAndTheNextMessageIsRead(bool smallLimit)
    {
        var options = smallLimit ? IgtlReaderOptions.Default with { MaxNonImageBodyBytes = 1000 } : IgtlReaderOptions.Default with { MaxNonImageBodyBytes = 1 << 20 };
        int size = smallLimit ? 2000 : 3 << 20;
        var results = await ReadAllAsync(Concat(Frame("POINT", "huge", Body(size)), Hello()), options);
        var error = Assert.IsType<IgtlLimitExceededException>(results[0]);
        Assert.Equal(IgtlRejectReason.BodyTooLarge, error.Reason);
        Assert.True(error.FramingIntact);
        Assert.Contains("non-IMAGE", error.Message);
        Assert.Equal("hello", Assert.IsType<StringMessage>(results[1]).Value);
    }

    [Fact]
    public async Task TruncatedUnknownBodyIsATruncationError()
    {
        var frame = Frame("VIDEO", "cam", Body(1 << 20));
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0)); // never pauses: the whole half frame is written up front
        await pipe.Writer.WriteAsync(frame.AsMemory(0, frame.Length / 2));
        await pipe.Writer.CompleteAsync();
        var reader = new IgtlMessageReader(pipe.Reader);
        var ex = await Assert.ThrowsAsync<IgtlTruncatedMessageException>(() => reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(IgtlRejectReason.TruncatedBody, ex.Reason);
    }
}
