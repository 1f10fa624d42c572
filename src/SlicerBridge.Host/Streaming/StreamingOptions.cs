using SlicerBridge.Inference.Models.SamMed2D.Tracking;

namespace SlicerBridge.Host.Streaming;

/// <summary>
/// The streaming relay, bound from the <c>Streaming</c> section (<c>serve --stream-from HOST:PORT</c> adds
/// <c>Streaming:Sources:N</c>): frame sources the server connects to as an OpenIGTLink client (e.g. PlusServer), how it
/// reconnects, the 2-D model streams use by default, and how a prompt is carried from frame to frame.
/// </summary>
public sealed class StreamingOptions
{
    public const string Section = "Streaming";

    /// <summary>HOST:PORT of each frame source (IPv6 as [addr]:port).</summary>
    public List<string> Sources { get; set; } = [];

    /// <summary>Model a StartStream without "Model" uses (a sam-med2d entry of Models:List).</summary>
    public string DefaultModel { get; set; } = "sam-med2d";

    public int ReconnectInitialMilliseconds { get; set; } = 250;
    public int ReconnectMaxMilliseconds { get; set; } = 5000;

    /// <summary>Below this predicted IoU the reply says Tracking=Lost and the stream waits for a new prompt.</summary>
    public float TrackingMinScore { get; set; } = 0.5f;

    /// <summary>Fraction of the previous mask's size added on every side of the box that prompts the next frame.</summary>
    public double TrackingBoxMargin { get; set; } = 0.1;

    /// <summary>Most IMAGE devices followed at once (a source naming more is not given more loops).</summary>
    public int MaxStreams { get; set; } = 32;

    /// <summary>Largest frame (pixels) a stream processes; larger IMAGEs are skipped with a warning.</summary>
    public long MaxFramePixels { get; set; } = 4096L * 4096;

    public TrackingOptions Tracking => new() { MinScore = TrackingMinScore, BoxMargin = TrackingBoxMargin };

    public IEnumerable<string> Validate()
    {
        foreach (var source in Sources)
            if (!StreamEndpoint.TryParse(source, out _, out var error)) yield return $"Streaming:Sources: {error}";
        if (ReconnectInitialMilliseconds < 10 || ReconnectMaxMilliseconds < ReconnectInitialMilliseconds)
            yield return "Streaming: ReconnectInitialMilliseconds must be ≥ 10 and ≤ ReconnectMaxMilliseconds.";
        if (!float.IsFinite(TrackingMinScore)) yield return "Streaming:TrackingMinScore must be a finite IoU threshold.";
        if (!(TrackingBoxMargin >= 0 && TrackingBoxMargin <= 2)) yield return "Streaming:TrackingBoxMargin must be within [0, 2].";
        if (MaxFramePixels < 1) yield return "Streaming:MaxFramePixels must be positive.";
        if (MaxStreams < 1) yield return "Streaming:MaxStreams must be positive.";
    }
}

/// <summary>Fails start-up with every problem of the Streaming section (serve prints them and exits 2).</summary>
public sealed class StreamingOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<StreamingOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, StreamingOptions options)
    {
        var problems = options.Validate().ToList();
        return problems.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(problems);
    }
}
