namespace SlicerBridge.Host.Cli;

/// <summary>
/// A one-line text progress bar ("[#####-----]  50%") redrawn in place with carriage returns. Reports are
/// handled synchronously on the reporting thread (unlike Progress&lt;T&gt;, which posts) and redrawn only on whole-percent changes.
/// </summary>
public sealed class SegmentProgressBar(TextWriter writer, string label, int width = 30) : IProgress<double>
{
    private readonly object _gate = new();
    private int _lastPercent = -1;
    private bool _drawn;

    public void Report(double value)
    {
        int percent = (int)Math.Round(Math.Clamp(double.IsFinite(value) ? value : 0, 0, 1) * 100);
        lock (_gate)
        {
            if (percent == _lastPercent) return;
            _lastPercent = percent;
            int filled = percent * width / 100;
            writer.Write($"\r{label} [{new string('#', filled)}{new string('-', width - filled)}] {percent,3}%");
            writer.Flush();
            _drawn = true;
        }
    }

    /// <summary>Ends the bar's line so that later output starts on a fresh line.</summary>
    public void Finish()
    {
        lock (_gate)
        {
            if (_drawn) writer.WriteLine();
            _drawn = false;
        }
    }
}
