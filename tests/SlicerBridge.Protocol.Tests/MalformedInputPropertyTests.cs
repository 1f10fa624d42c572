using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using FsCheck;
using FsCheck.Fluent;
using SlicerBridge.Protocol;

namespace SlicerBridge.Protocol.Tests;

/// <summary>
/// Property-based malformed input, each class of damage mapped to its own exception type (and whether the stream stays
/// aligned), over every message type and both header versions.
/// </summary>
public class MalformedInputPropertyTests
{
    private static readonly byte[][] Seeds = BuildSeeds();

    private static byte[][] BuildSeeds()
    {
        var list = new List<byte[]>();
        foreach (ushort v in new ushort[] { 1, 2 })
        {
            var image = new ImageMessage("MRHead", IgtlScalarType.Int16, 1, 4, 3, 2, new byte[4 * 3 * 2 * 2]) { HeaderVersion = v };
            var big = new ImageMessage("CT", IgtlScalarType.UInt8, 1, 80, 40, 30, new byte[80 * 40 * 30]) { HeaderVersion = v }; // streamed path
            IgtlMessage[] messages =
            [
                image, big,
                new StringMessage { Value = "hello", HeaderVersion = v },
                new CommandMessage { CommandName = "Segment", Content = "{}", HeaderVersion = v },
                new StatusMessage { Message = "m", HeaderVersion = v },
                new PointMessage { Points = { new PointElement("a", "b", 1, 2, 3, 4, 1, 2, 3, 0, "") }, HeaderVersion = v },
            ];
            foreach (var m in messages)
            {
                if (v == 2) m.Metadata.Set("Key", "Value");
                list.Add(IgtlMessageWriter.ToArray(m));
            }
        }
        return list.ToArray();
    }

    /// <summary>Reads every message of <paramref name="bytes"/>; returns the first exception (or null) and whether reading continued.</summary>
    private static (Exception? Error, int MessagesAfter) ReadAll(byte[] bytes, IgtlReaderOptions? options = null)
    {
        var reader = new IgtlMessageReader(PipeReader.Create(new ReadOnlySequence<byte>(bytes)), options);
        Exception? first = null;
        int after = 0;
        var task = Task.Run(async () =>
        {
            while (true)
            {
                try
                {
                    if (await reader.ReadAsync() is not { } m) return;
                    if (first is not null) after++;
                    m.Dispose();
                }
                catch (IgtlProtocolException e) when (e.FramingIntact && first is null) { first = e; }
            }
        });
        try
        {
            if (!task.Wait(TimeSpan.FromSeconds(10))) throw new TimeoutException("reader hung");
        }
        catch (AggregateException e) { first ??= e.InnerException; }
        return (first, after);
    }

    private static Gen<int> SeedIndex => Gen.Choose(0, Seeds.Length - 1);

    [Fact]
    public void TruncationAnywhereIsATruncationError()
    {
        var prop = Prop.ForAll((from s in SeedIndex from f in Gen.Choose(1, 999) select (s, f)).ToArbitrary(), input =>
        {
            var bytes = Seeds[input.s];
            int cut = (int)((long)(bytes.Length - 1) * input.f / 1000); // 0 .. length-1: always short
            if (cut == 0) return true;                                    // empty stream = clean end
            var (error, _) = ReadAll(bytes[..cut]);
            var t = error as IgtlTruncatedMessageException;
            return t is not null && t.Reason == (cut < IgtlHeaderLayout.Size ? IgtlRejectReason.TruncatedHeader : IgtlRejectReason.TruncatedBody);
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(400), prop);
    }

    [Fact]
    public void AnyBodyByteChangedWithoutFixingTheCrcIsAChecksumErrorAndTheNextMessageIsRead()
    {
        var next = IgtlMessageWriter.ToArray(new StringMessage { Value = "next" });
        var prop = Prop.ForAll((from s in SeedIndex from f in Gen.Choose(0, 999) from x in Gen.Choose(1, 255) select (s, f, x)).ToArbitrary(), input =>
        {
            var bytes = (byte[])Seeds[input.s].Clone();
            int body = bytes.Length - IgtlHeaderLayout.Size;
            int at = IgtlHeaderLayout.Size + (int)((long)(body - 1) * input.f / 1000);
            bytes[at] ^= (byte)input.x;
            var (error, after) = ReadAll([.. bytes, .. next]);
            // A flipped extended-header / metadata / image-head byte may break the structure first on the streamed path;
            // either way the stream must stay aligned and the next message must arrive.
            return error is IgtlChecksumMismatchException or IgtlMalformedMessageException or IgtlLimitExceededException
                   && ((IgtlProtocolException)error).FramingIntact && after == 1;
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(400), prop);
    }

    [Fact]
    public void AnyBodyByteChangedOnASmallMessageIsExactlyAChecksumError()
    {
        var prop = Prop.ForAll((from s in SeedIndex.Where(i => Seeds[i].Length < 4096) from f in Gen.Choose(0, 999) from x in Gen.Choose(1, 255) select (s, f, x)).ToArbitrary(), input =>
        {
            var bytes = (byte[])Seeds[input.s].Clone();
            int at = IgtlHeaderLayout.Size + (int)((long)(bytes.Length - IgtlHeaderLayout.Size - 1) * input.f / 1000);
            bytes[at] ^= (byte)input.x;
            return ReadAll(bytes).Error is IgtlChecksumMismatchException { FramingIntact: true };
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), prop);
    }

    [Fact]
    public void DeclaredBodySizesBeyondTheLimitAreRejectedBeforeReadingTheBody()
    {
        var prop = Prop.ForAll((from s in SeedIndex from size in Gen.Choose(1, int.MaxValue) from hi in Gen.Choose(0, int.MaxValue) select (s, size, hi)).ToArbitrary(), input =>
        {
            var bytes = (byte[])Seeds[input.s].Clone();
            ulong declared = ((ulong)(uint)input.hi << 32) | (uint)input.size;
            var options = IgtlReaderOptions.Default with { MaxBodyBytes = 1 << 20 };
            if (declared <= (ulong)options.MaxBodyBytes) declared += (ulong)options.MaxBodyBytes + 1;
            BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(IgtlHeaderLayout.BodySizeOffset), declared);
            var (error, _) = ReadAll(bytes[..IgtlHeaderLayout.Size], options); // the header alone: no body needed to reject it
            return error is IgtlLimitExceededException { Reason: IgtlRejectReason.BodyTooLarge, FramingIntact: false };
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), prop);
    }

    [Fact]
    public void HeaderVersionsOtherThanOneAndTwoAreRejected()
    {
        var prop = Prop.ForAll((from s in SeedIndex from v in Gen.Choose(0, ushort.MaxValue).Where(v => v is not (1 or 2)) select (s, v)).ToArbitrary(), input =>
        {
            var bytes = (byte[])Seeds[input.s].Clone();
            BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)input.v);
            return ReadAll(bytes).Error is IgtlProtocolException { Reason: IgtlRejectReason.UnsupportedHeaderVersion, FramingIntact: false };
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), prop);
    }
}
