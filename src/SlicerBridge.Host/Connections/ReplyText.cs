using System.Text;

namespace SlicerBridge.Host.Connections;

/// <summary>
/// Error texts cut to fit a reply. Texts can quote what a client sent (a 70 KB volume name), and an RTS_COMMAND's
/// ErrorMessage travels in the metadata, which holds 65,535 bytes in all; a STATUS message is kept as short.
/// </summary>
public static class ReplyText
{
    /// <summary>Longest error text, in UTF-8 bytes, a STATUS or RTS_COMMAND carries.</summary>
    public const int MaxErrorBytes = 4096;

    /// <summary><paramref name="text"/> when it fits <paramref name="maxBytes"/>, else its head (cut on a character boundary) and how much was cut.</summary>
    public static string Fit(string text, int maxBytes = MaxErrorBytes)
    {
        int bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes <= maxBytes) return text;
        string marker = $"… [{bytes:N0} bytes, cut to fit the reply]";
        int budget = Math.Max(0, maxBytes - Encoding.UTF8.GetByteCount(marker));
        int chars = 0, used = 0;
        while (chars < text.Length)
        {
            int step = char.IsHighSurrogate(text[chars]) && chars + 1 < text.Length ? 2 : 1;
            int size = Encoding.UTF8.GetByteCount(text.AsSpan(chars, step));
            if (used + size > budget) break;
            used += size;
            chars += step;
        }
        return string.Concat(text.AsSpan(0, chars), marker);
    }
}
