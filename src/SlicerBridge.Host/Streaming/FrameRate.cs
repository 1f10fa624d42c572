using System.Diagnostics;

namespace SlicerBridge.Host.Streaming;

/// <summary>Events per second over the last few seconds (for GetStatus).</summary>
public sealed class FrameRate(double windowSeconds = 3)
{
    private readonly Queue<long> _ticks = new();
    private readonly object _gate = new();

    public void Tick()
    {
        lock (_gate)
        {
            _ticks.Enqueue(Stopwatch.GetTimestamp());
            Trim();
        }
    }

    public double PerSecond
    {
        get
        {
            lock (_gate)
            {
                Trim();
                return _ticks.Count / windowSeconds;
            }
        }
    }

    private void Trim()
    {
        long oldest = Stopwatch.GetTimestamp() - (long)(windowSeconds * Stopwatch.Frequency);
        while (_ticks.Count > 0 && _ticks.Peek() < oldest) _ticks.Dequeue();
    }
}
