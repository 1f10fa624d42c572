namespace SlicerBridge.Protocol;

/// <summary>What a message is, decoded once from the 12-byte type field of its header.</summary>
public enum IgtlMessageKind : byte
{
    /// <summary>A type this library does not decode (its body is skipped by size).</summary>
    Unknown,
    Image,
    Point,
    Transform,
    String,
    Status,
    Command,
    RtsCommand,
    Capability,
    GetStatus,
    GetCapability,
    /// <summary>Any other GET_ / STT_ / STP_ query.</summary>
    OtherQuery,
    /// <summary>Any other RTS_ reply.</summary>
    OtherRts,
}

/// <summary>The one list of message types this library knows, and the decoding of the wire type field into it.</summary>
public static class IgtlMessageKinds
{
    /// <summary>Types with a fixed wire name, in the order of <see cref="IgtlMessageKind"/>.</summary>
    public static IReadOnlyList<(IgtlMessageKind Kind, string Name)> Named { get; } =
    [
        (IgtlMessageKind.Image, "IMAGE"), (IgtlMessageKind.Point, "POINT"), (IgtlMessageKind.Transform, "TRANSFORM"),
        (IgtlMessageKind.String, "STRING"), (IgtlMessageKind.Status, "STATUS"), (IgtlMessageKind.Command, "COMMAND"),
        (IgtlMessageKind.RtsCommand, "RTS_COMMAND"), (IgtlMessageKind.Capability, "CAPABILITY"),
        (IgtlMessageKind.GetStatus, "GET_STATUS"), (IgtlMessageKind.GetCapability, "GET_CAPABIL"),
    ];

    /// <summary>The wire name of a kind with a fixed name.</summary>
    public static string NameOf(IgtlMessageKind kind)
    {
        foreach (var (k, name) in Named) if (k == kind) return name;
        throw new ArgumentOutOfRangeException(nameof(kind), kind, "This kind has no single wire name.");
    }

    /// <summary>Decodes a type name (the NUL-padded field already trimmed) by its UTF-8 bytes.</summary>
    public static IgtlMessageKind Decode(ReadOnlySpan<byte> type)
    {
        switch (type.Length)
        {
            case 5:
                if (type.SequenceEqual("IMAGE"u8)) return IgtlMessageKind.Image;
                if (type.SequenceEqual("POINT"u8)) return IgtlMessageKind.Point;
                break;
            case 6:
                if (type.SequenceEqual("STRING"u8)) return IgtlMessageKind.String;
                if (type.SequenceEqual("STATUS"u8)) return IgtlMessageKind.Status;
                break;
            case 7:
                if (type.SequenceEqual("COMMAND"u8)) return IgtlMessageKind.Command;
                break;
            case 9:
                if (type.SequenceEqual("TRANSFORM"u8)) return IgtlMessageKind.Transform;
                break;
            case 10:
                if (type.SequenceEqual("CAPABILITY"u8)) return IgtlMessageKind.Capability;
                if (type.SequenceEqual("GET_STATUS"u8)) return IgtlMessageKind.GetStatus;
                break;
            case 11:
                if (type.SequenceEqual("RTS_COMMAND"u8)) return IgtlMessageKind.RtsCommand;
                if (type.SequenceEqual("GET_CAPABIL"u8)) return IgtlMessageKind.GetCapability;
                break;
        }
        if (type.Length > 4)
        {
            if (type.StartsWith("GET_"u8) || type.StartsWith("STT_"u8) || type.StartsWith("STP_"u8)) return IgtlMessageKind.OtherQuery;
            if (type.StartsWith("RTS_"u8)) return IgtlMessageKind.OtherRts;
        }
        return IgtlMessageKind.Unknown;
    }

    /// <summary>Decodes a type name given as text (messages built in code).</summary>
    public static IgtlMessageKind Decode(string type)
    {
        Span<byte> bytes = stackalloc byte[IgtlHeaderLayout.TypeSize];
        int n = System.Text.Encoding.UTF8.GetByteCount(type);
        return n > bytes.Length ? IgtlMessageKind.Unknown : Decode(bytes[..System.Text.Encoding.UTF8.GetBytes(type, bytes)]);
    }

    /// <summary>True for every kind this library decodes into its own message class.</summary>
    public static bool IsKnown(IgtlMessageKind kind) => kind != IgtlMessageKind.Unknown;
}
