namespace SlicerBridge.Host.Sessions;

public sealed partial class SessionState
{
    private long _undoSequence;

    /// <summary>How much undo history this session keeps; set once when the session is created.</summary>
    public UndoLimits UndoLimits { get; init; } = UndoLimits.Default;

    /// <summary>Bytes held by the undo histories of all volumes of this session.</summary>
    public long UndoBytes { get { lock (_gate) return _volumes.Values.Sum(v => v.History.Bytes); } }

    /// <summary>
    /// Makes <paramref name="entry"/> the newest result of <paramref name="slot"/>, then trims the oldest entries (of this
    /// volume past the depth limit, then of any volume, oldest first, past the byte limit). Caller holds <see cref="_gate"/>.
    /// </summary>
    private void RecordUndo(VolumeSlot slot, UndoEntry entry)
    {
        slot.History.Push(entry);
        while (slot.History.Count > UndoLimits.MaxDepth && slot.History.TrimOldest()) { }
        long total = _volumes.Values.Sum(v => v.History.Bytes);
        while (total > UndoLimits.MaxBytes)
        {
            VolumeSlot? oldest = null;
            foreach (var v in _volumes.Values)
                if (v.History.OldestTrimmableSequence is { } seq && (oldest is null || seq < oldest.History.OldestTrimmableSequence))
                    oldest = v;
            if (oldest is null) break; // only the newest result of each volume is left: those stay
            long before = oldest.History.Bytes;
            oldest.History.TrimOldest();
            total -= before - oldest.History.Bytes;
        }
    }

    /// <summary>The refusal of an Undo that would go back past the entries the limits trimmed; null when it may go on.</summary>
    private Rejection? UndoBeyondKept(VolumeSlot slot) =>
        slot.History.Count == 1 && slot.History.Trimmed > 0
            ? new Rejection(RejectionKind.UndoLimitReached,
                $"No older result of '{slot.Name}' is kept: the undo history holds at most {UndoLimits.MaxDepth} results per volume " +
                $"and {UndoLimits.MaxBytes >> 20} MiB per session (Server:MaxUndoDepth, Server:MaxUndoBytes); use Reset to start over.")
            : null;
}
