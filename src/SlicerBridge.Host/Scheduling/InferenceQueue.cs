using System.Threading.Channels;

namespace SlicerBridge.Host.Scheduling;

/// <summary>
/// The bounded inference queue. <see cref="Submit"/> never blocks: a full queue answers Busy at once.
/// A new job cancels the queued or running job with the same supersede key, so a burst of POINT updates
/// collapses to its newest point set.
/// </summary>
public sealed class InferenceQueue
{
    private readonly Channel<InferenceJob> _channel;
    private readonly Dictionary<string, InferenceJob> _latestByKey = new(StringComparer.Ordinal);
    /// <summary>Jobs in the channel, in submission order (the order workers take them); guarded by <see cref="_gate"/>.</summary>
    private readonly LinkedList<InferenceJob> _waiting = new();
    /// <summary>Jobs a worker has taken and not finished; guarded by <see cref="_gate"/>.</summary>
    private readonly HashSet<InferenceJob> _running = [];
    private readonly object _gate = new();
    private int _pending;
    private int _runningCount;

    public InferenceQueue(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        _channel = Channel.CreateBounded<InferenceJob>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait, SingleReader = false, SingleWriter = false,
        });
    }

    public int Capacity { get; }
    public int Pending => Volatile.Read(ref _pending);
    public int Running => Volatile.Read(ref _runningCount);
    public ChannelReader<InferenceJob> Reader => _channel.Reader;

    public InferenceJob Submit(InferenceJob job)
    {
        lock (_gate)
        {
            if (_latestByKey.TryGetValue(job.SupersedeKey, out var older)) older.Supersede();
            if (!_channel.Writer.TryWrite(job))
            {
                job.Finish(new InferenceOutcome(InferenceOutcomeKind.Busy, null, default,
                    $"The inference queue is full ({Capacity} pending requests); try again shortly."));
                return job;
            }
            _latestByKey[job.SupersedeKey] = job;
            _waiting.AddLast(job);
            Interlocked.Increment(ref _pending);
        }
        job.Completion.ContinueWith(_ => Forget(job), TaskScheduler.Default);
        return job;
    }

    /// <summary>Cancels every job of one session (its connection closed).</summary>
    public void CancelWhere(Func<InferenceJob, bool> predicate)
    {
        lock (_gate)
            foreach (var job in _latestByKey.Values.Where(predicate).ToList()) job.Supersede();
    }

    /// <summary>
    /// Where the earliest live job matching <paramref name="belongsTo"/> stands: 0 when one is running, n ≥ 1 when the
    /// earliest queued one is n-th in line for a worker (n − 1 live jobs queued before it), null when none is queued or running.
    /// Jobs already answered (cancelled or superseded while queued, or finished) do not count.
    /// </summary>
    public int? PositionOf(Func<InferenceJob, bool> belongsTo)
    {
        lock (_gate)
        {
            if (_running.Any(j => !j.Completion.IsCompleted && belongsTo(j))) return 0;
            int place = 0;
            foreach (var job in _waiting)
            {
                if (job.Completion.IsCompleted) continue;
                place++;
                if (belongsTo(job)) return place;
            }
            return null;
        }
    }

    /// <summary>No more jobs; workers drain what is queued.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    internal void MarkDequeued(InferenceJob job)
    {
        lock (_gate)
        {
            _waiting.Remove(job);
            _running.Add(job);
        }
        Interlocked.Decrement(ref _pending);
        Interlocked.Increment(ref _runningCount);
    }

    internal void MarkDone(InferenceJob job)
    {
        lock (_gate) _running.Remove(job);
        Interlocked.Decrement(ref _runningCount);
    }

    private void Forget(InferenceJob job)
    {
        lock (_gate)
        {
            if (_latestByKey.TryGetValue(job.SupersedeKey, out var current) && ReferenceEquals(current, job))
                _latestByKey.Remove(job.SupersedeKey);
            _waiting.Remove(job); // answered while still queued (cancelled, superseded): no longer in line
        }
    }
}
