namespace SlicerBridge.Inference;

/// <summary>Helpers for quoting text that came from a file in an error message: short, and always on one line.</summary>
internal static class Text
{
    /// <summary>
    /// At most <paramref name="max"/> characters of <paramref name="value"/> (then "…"), control characters shown as '?',
    /// so that a hostile name can neither flood a message nor break it over lines.
    /// </summary>
    public static string Clip(string value, int max = 80)
    {
        var span = value.AsSpan(0, Math.Min(value.Length, max));
        return string.Create(span.Length + (value.Length > max ? 1 : 0), (value, max), static (dest, state) =>
        {
            for (int i = 0; i < dest.Length; i++)
                dest[i] = i == state.max ? '…' : char.IsControl(state.value[i]) ? '?' : state.value[i];
        });
    }
}
