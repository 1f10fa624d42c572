namespace SlicerBridge.Host.Sessions;

/// <summary>Why the server refused a request. Each kind maps to one STATUS code (<c>Connections/Replies</c>).</summary>
public enum RejectionKind
{
    /// <summary>A COMMAND's name or JSON content could not be read.</summary>
    MalformedRequest,
    /// <summary>No volume has been received yet.</summary>
    NoVolume,
    /// <summary>A volume name this session has not received.</summary>
    UnknownVolume,
    /// <summary>A prior (IMAGE named <c>…_prior</c>) whose name matches no volume of the session.</summary>
    PriorVolumeNotFound,
    /// <summary>The received volume is no longer cached; the client must send it again.</summary>
    VolumeEvicted,
    /// <summary>An IMAGE the server cannot take as a volume (sub-volume, several components, bad geometry, ...).</summary>
    BadImage,
    /// <summary>A volume larger than the whole cache budget.</summary>
    TooLarge,
    /// <summary>A prompt point with a NaN or infinite coordinate.</summary>
    BadPoint,
    /// <summary>A prompt point outside the volume.</summary>
    PointOutside,
    /// <summary>The prompt set has no positive point: nothing to segment.</summary>
    NoPositivePoint,
    UnknownModel,
    /// <summary>The model exists but cannot be loaded (missing or broken checkpoint).</summary>
    ModelUnavailable,
    /// <summary>The model refused the request (its own checks on the prompts or the volume).</summary>
    SegmentationFailed,
    /// <summary>The inference queue is full.</summary>
    Busy,
    /// <summary>A query type the server does not serve.</summary>
    UnknownInstruction,
    /// <summary>Undo past the oldest result the undo limits keep.</summary>
    UndoLimitReached,
}

/// <summary>A refusal with its reason and the text the client sees; <see cref="ErrorName"/> is the STATUS error name.</summary>
public sealed record Rejection(RejectionKind Kind, string Message, string? Name = null)
{
    public string ErrorName => Name ?? Kind.ToString();
}
