using System.Globalization;

namespace SlicerBridge.Host.Streaming;

/// <summary>A frame source address, HOST:PORT (IPv6 literals in brackets).</summary>
public sealed record StreamEndpoint(string Host, int Port)
{
    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    public static StreamEndpoint Parse(string text) =>
        TryParse(text, out var endpoint, out var error) ? endpoint! : throw new FormatException(error);

    public static bool TryParse(string? text, out StreamEndpoint? endpoint, out string error)
    {
        endpoint = null;
        error = "";
        if (string.IsNullOrWhiteSpace(text)) { error = "a frame source must be HOST:PORT, got nothing."; return false; }
        text = text.Trim();
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1) { error = $"'{text}' is not HOST:PORT."; return false; }
        string host = text[..colon], port = text[(colon + 1)..];
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        else if (host.Contains(':')) { error = $"'{text}': write an IPv6 host in brackets, [addr]:port."; return false; }
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p is < 1 or > 65535)
        { error = $"'{text}': port must be 1–65535."; return false; }
        if (host.Length == 0 || host.Any(char.IsWhiteSpace)) { error = $"'{text}': empty or invalid host."; return false; }
        endpoint = new StreamEndpoint(host, p);
        return true;
    }
}
