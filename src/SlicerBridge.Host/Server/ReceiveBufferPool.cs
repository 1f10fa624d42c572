using System.Buffers;

namespace SlicerBridge.Host.Server;

/// <summary>
/// Pixel buffers of received IMAGEs. Small ones come from the shared pool. Large ones (a volume's pixels, which are
/// converted to the cache's float copy and then dropped) are plain arrays that are given back to the garbage collector,
/// not kept in a pool: a server that once received, or began to receive, many large volumes must not hold that memory
/// for good. Because large arrays are only collected (and their pages returned to the system) by a full collection, one
/// is asked for once <see cref="CollectAfterBytes"/> of them have been dropped, at most once per <see cref="MinCollectInterval"/>
/// (what is dropped within the interval is collected when it ends).
/// </summary>
public sealed class ReceiveBufferPool : ArrayPool<byte>
{
    public const int LargeBytes = 1 << 20;
    public const long CollectAfterBytes = 128L << 20;
    public static readonly TimeSpan MinCollectInterval = TimeSpan.FromSeconds(1);

    private long _droppedBytes;
    private long _lastCollectTicks;
    private long _outstandingBytes;
    private int _collectScheduled;
    private int _collections;

    /// <summary>Bytes of large buffers handed out and not yet returned (pixels being received or held by a message).</summary>
    public long OutstandingBytes => Interlocked.Read(ref _outstandingBytes);

    public override byte[] Rent(int minimumLength)
    {
        if (minimumLength <= LargeBytes) return Shared.Rent(minimumLength);
        Interlocked.Add(ref _outstandingBytes, minimumLength);
        return GC.AllocateUninitializedArray<byte>(minimumLength);
    }

    public override void Return(byte[] array, bool clearArray = false)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Length <= LargeBytes)
        {
            Shared.Return(array, clearArray);
            return;
        }
        Interlocked.Add(ref _outstandingBytes, -array.Length);
        if (Interlocked.Add(ref _droppedBytes, array.Length) < CollectAfterBytes) return;
        if (OutstandingBytes > 0) ScheduleCollect(MinCollectInterval.TotalMilliseconds); // and once the others are back
        long wait = (long)MinCollectInterval.TotalMilliseconds - (Environment.TickCount64 - Interlocked.Read(ref _lastCollectTicks));
        if (wait > 0)
        {
            // Too soon after the last collection: one is scheduled for when the interval ends, so buffers dropped together
            // (several uploads cut at once) are not held until the next large buffer happens to be returned.
            ScheduleCollect(wait);
            return;
        }
        Collect();
    }

    private void ScheduleCollect(double waitMs)
    {
        if (Interlocked.Exchange(ref _collectScheduled, 1) != 0) return;
        _ = Task.Delay(TimeSpan.FromMilliseconds(waitMs + 50)).ContinueWith(_ =>
        {
            Volatile.Write(ref _collectScheduled, 0);
            if (Interlocked.Read(ref _droppedBytes) >= CollectAfterBytes) Collect();
        }, TaskScheduler.Default);
    }

    /// <summary>Full collections asked for so far (dropped large buffers given back to the system).</summary>
    public int Collections => Volatile.Read(ref _collections);

    private void Collect()
    {
        long now = Environment.TickCount64, last = Interlocked.Read(ref _lastCollectTicks);
        if (now - last < MinCollectInterval.TotalMilliseconds || Interlocked.CompareExchange(ref _lastCollectTicks, now, last) != last) return;
        Interlocked.Exchange(ref _droppedBytes, 0);
        Interlocked.Increment(ref _collections);
        if (OutstandingBytes > 0)
            // An aggressive collection compacts the large-object heap as well: it would copy the buffers still being
            // received, touching every page of a partly filled upload (four stalled 1 GiB uploads peaked at 3.2 GB).
            // Free the dropped buffers without moving the live ones; the collection scheduled after the last return is
            // the aggressive one that gives pages back.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: false);
        else
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }
}
