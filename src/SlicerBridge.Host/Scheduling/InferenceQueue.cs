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
    private readonly object _gate = new();
    private int _pending;
    private int _running;

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
    public int Running => Volatile.Read(ref _running);
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

    /// <summary>No more jobs; workers drain what is queued.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    internal void MarkDequeued() { Interlocked.Decrement(ref _pending); Interlocked.Increment(ref _running); }
    internal void MarkDone() => Interlocked.Decrement(ref _running);

    private void Forget(InferenceJob job)
    {
        lock (_gate)
            if (_latestByKey.TryGetValue(job.SupersedeKey, out var current) && ReferenceEquals(current, job))
                _latestByKey.Remove(job.SupersedeKey);
    }
}
