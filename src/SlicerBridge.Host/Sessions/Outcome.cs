namespace SlicerBridge.Host.Sessions;

/// <summary>How a request to the session ended.</summary>
public enum OutcomeKind
{
    /// <summary>Carried out; <see cref="Outcome{T}.Value"/> holds what it produced.</summary>
    Done,
    /// <summary>Replaced by a newer request (or cancelled); the newer one answers, this one needs no reply of its own.</summary>
    Superseded,
    /// <summary>Refused for a reason the client can act on; see <see cref="Outcome{T}.Rejection"/>.</summary>
    Rejected,
    /// <summary>A bug or an unexpected condition on the server (logged with its stack), reported as an internal error.</summary>
    Failed,
}

/// <summary>
/// The result of a session operation as a value: done, superseded, rejected with a reason, or failed. The connection
/// maps it to STATUS / RTS_COMMAND in one place (<c>Connections/Replies</c>); the session never sees a socket.
/// </summary>
public readonly record struct Outcome<T>
{
    private Outcome(OutcomeKind kind, T? value, Rejection? rejection, string? message)
    {
        Kind = kind; Value = value; Rejection = rejection; Message = message;
    }

    public OutcomeKind Kind { get; }
    public T? Value { get; }
    public Rejection? Rejection { get; }
    /// <summary>Why it was superseded or how it failed (for logs and the reply text).</summary>
    public string? Message { get; }

    public bool IsDone => Kind == OutcomeKind.Done;

    public static Outcome<T> Done(T value) => new(OutcomeKind.Done, value, null, null);
    public static Outcome<T> Superseded(string why) => new(OutcomeKind.Superseded, default, null, why);
    public static Outcome<T> Rejected(Rejection rejection) => new(OutcomeKind.Rejected, default, rejection, rejection.Message);
    public static Outcome<T> Failed(string message) => new(OutcomeKind.Failed, default, null, message);

    public static implicit operator Outcome<T>(T value) => Done(value);
    public static implicit operator Outcome<T>(Rejection rejection) => Rejected(rejection);

    /// <summary>The same ending for another value type (only for outcomes that are not <see cref="OutcomeKind.Done"/>).</summary>
    public Outcome<TOther> Forward<TOther>() => Kind == OutcomeKind.Done
        ? throw new InvalidOperationException("A done outcome has a value to convert, not to forward.")
        : new Outcome<TOther>(Kind, default, Rejection, Message);

    public override string ToString() => Kind == OutcomeKind.Done ? $"Done({Value})" : $"{Kind}: {Message}";
}
