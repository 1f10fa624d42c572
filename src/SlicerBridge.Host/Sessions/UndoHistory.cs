using SlicerBridge.Inference.Models;

namespace SlicerBridge.Host.Sessions;

/// <summary>
/// One volume's undo entries, newest on top, with their bytes counted. The session trims the oldest ones to stay within
/// <see cref="UndoLimits"/>; the newest (the labelmap that stands) is never trimmed. Not thread-safe: the session's lock guards it.
/// </summary>
public sealed class UndoHistory
{
    private readonly LinkedList<UndoEntry> _entries = new(); // First = oldest, Last = newest

    public int Count => _entries.Count;

    /// <summary>Bytes held by the entries (masks, model states, points).</summary>
    public long Bytes { get; private set; }

    /// <summary>Entries trimmed since the history was last cleared: Undo cannot go back beyond them.</summary>
    public int Trimmed { get; private set; }

    /// <summary>The oldest entry's sequence number, or null when there is no entry that may be trimmed (at most the newest is left).</summary>
    public long? OldestTrimmableSequence => _entries.Count > 1 ? _entries.First!.Value.Sequence : null;

    public void Push(UndoEntry entry)
    {
        _entries.AddLast(entry);
        Bytes += entry.SizeBytes;
    }

    public bool TryPeek(out UndoEntry entry)
    {
        entry = _entries.Last?.Value!;
        return _entries.Count > 0;
    }

    public UndoEntry Pop()
    {
        var entry = _entries.Last?.Value ?? throw new InvalidOperationException("The undo history is empty.");
        _entries.RemoveLast();
        Bytes -= entry.SizeBytes;
        return entry;
    }

    /// <summary>Drops the oldest entry; false when only the newest is left.</summary>
    public bool TrimOldest()
    {
        if (_entries.Count <= 1) return false;
        Bytes -= _entries.First!.Value.SizeBytes;
        _entries.RemoveFirst();
        Trimmed++;
        return true;
    }

    public void Clear()
    {
        _entries.Clear();
        Bytes = 0;
        Trimmed = 0;
    }
}

/// <summary>A result kept for Undo: the mask sent, the point set that produced it, the model state after it.</summary>
/// <param name="Sequence">Order of recording within the session: the lowest is trimmed first.</param>
public sealed record UndoEntry(byte[] Mask, Dictionary<string, List<PromptPoint>> Points, ModelState? State, string Model, long Sequence = 0)
{
    /// <summary>Approximate bytes: the mask, the model state, the points (a PromptPoint is three doubles and a flag).</summary>
    public long SizeBytes { get; } = Mask.LongLength + (State?.SizeBytes ?? 0) + Points.Values.Sum(p => (long)p.Count) * 32;
}

/// <summary>
/// How much undo history one session keeps (Server:MaxUndoDepth, Server:MaxUndoBytes): at most
/// <see cref="MaxDepth"/> results per volume and <see cref="MaxBytes"/> over all its volumes; beyond either the oldest
/// results go first. The newest result of each volume is always kept.
/// </summary>
public sealed record UndoLimits(int MaxDepth, long MaxBytes)
{
    public static UndoLimits Default { get; } = new(32, 256L << 20);
}
