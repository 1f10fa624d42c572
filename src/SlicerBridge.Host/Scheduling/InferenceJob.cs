using System.Diagnostics;
using SlicerBridge.Inference.Models;

namespace SlicerBridge.Host.Scheduling;

/// <summary>How a job ended.</summary>
public enum InferenceOutcomeKind
{
    Completed,
    /// <summary>A newer request for the same session and volume replaced it.</summary>
    Superseded,
    /// <summary>The client went away or the server is shutting down.</summary>
    Cancelled,
    /// <summary>The model rejected the request or could not be loaded; see <see cref="InferenceOutcome.Error"/>.</summary>
    Failed,
    /// <summary>The queue was full.</summary>
    Busy,
    /// <summary>The model threw something no caller input explains (a shape bug, an index out of range): an internal error.</summary>
    Faulted,
}

/// <summary>Millisecond timings reported in the result metadata.</summary>
public readonly record struct JobTimings(double QueueMs, double PrepareMs, double InferMs, double PostMs, double TotalMs);

public sealed record InferenceOutcome(InferenceOutcomeKind Kind, SegmentationResult? Result, JobTimings Timings, string? Error)
{
    public string ModelName { get; init; } = "";
}

/// <summary>
/// One segmentation waiting in (or running from) the queue. <see cref="SupersedeKey"/> groups jobs that replace
/// each other (one session, one volume): submitting a job cancels the older one with the same key.
/// </summary>
public sealed class InferenceJob
{
    private readonly TaskCompletionSource<InferenceOutcome> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _cancellation;
    private int _supersededFlag;
    private int _started;

    public InferenceJob(string supersedeKey, string requestId, string modelName, SegmentationRequest request, CancellationToken clientToken)
    {
        SupersedeKey = supersedeKey;
        RequestId = requestId;
        ModelName = modelName;
        Request = request;
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(clientToken);
        EnqueuedAt = Stopwatch.GetTimestamp();
        // A job cancelled while still queued is answered at once, not when a worker gets to it.
        _cancellation.Token.Register(() =>
        {
            if (Interlocked.CompareExchange(ref _started, 2, 0) == 0)
            {
                double ms = Stopwatch.GetElapsedTime(EnqueuedAt).TotalMilliseconds;
                FinishCancelled(new JobTimings(ms, 0, 0, 0, ms));
            }
        });
    }

    /// <summary>Claims the job for a worker; false when it was cancelled (and answered) while queued.</summary>
    internal bool TryStart() => Interlocked.CompareExchange(ref _started, 1, 0) == 0;

    public string SupersedeKey { get; }
    public string RequestId { get; }
    public string ModelName { get; }
    public SegmentationRequest Request { get; }
    public long EnqueuedAt { get; }
    public CancellationToken Token => _cancellation.Token;
    public Task<InferenceOutcome> Completion => _completion.Task;
    public bool IsSuperseded => Volatile.Read(ref _supersededFlag) == 1;

    internal void Supersede()
    {
        Interlocked.Exchange(ref _supersededFlag, 1);
        try { _cancellation.Cancel(); } catch (ObjectDisposedException) { }
    }

    internal void Finish(InferenceOutcome outcome)
    {
        _completion.TrySetResult(outcome with { ModelName = ModelName });
    }

    internal void FinishCancelled(JobTimings timings) =>
        Finish(new InferenceOutcome(IsSuperseded ? InferenceOutcomeKind.Superseded : InferenceOutcomeKind.Cancelled, null, timings,
            IsSuperseded ? "superseded by a newer request" : "cancelled"));
}
