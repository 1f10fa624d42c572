using System.Buffers;

namespace SlicerBridge.Host.Server;

/// <summary>
/// Pixel buffers of received IMAGEs. Small ones come from the shared pool. Large ones (a volume's pixels, which are
/// converted to the cache's float copy and then dropped) are plain arrays that are given back to the garbage collector,
/// not kept in a pool: a server that once received, or began to receive, many large volumes must not hold that memory
/// for good. Because large arrays are only collected (and their pages returned to the system) by a full collection, one
/// is asked for once <see cref="CollectAfterBytes"/> of them have been dropped, at most once per <see cref="MinCollectInterval"/>.
/// </summary>
public sealed class ReceiveBufferPool : ArrayPool<byte>
{
    public const int LargeBytes = 1 << 20;
    public const long CollectAfterBytes = 128L << 20;
    public static readonly TimeSpan MinCollectInterval = TimeSpan.FromSeconds(1);

    private long _droppedBytes;
    private long _lastCollectTicks;
    private long _outstandingBytes;

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
        long now = Environment.TickCount64, last = Interlocked.Read(ref _lastCollectTicks);
        if (now - last < MinCollectInterval.TotalMilliseconds || Interlocked.CompareExchange(ref _lastCollectTicks, now, last) != last) return;
        Interlocked.Exchange(ref _droppedBytes, 0);
        // Aggressive: compacts and gives the freed pages back to the operating system.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }
}
