namespace SlicerBridge.Protocol;

/// <summary>OpenIGTLink time stamp: seconds since 1970-01-01 UTC in the upper 32 bits, a binary fraction of a second in the lower 32.</summary>
public readonly record struct IgtlTimestamp(uint Seconds, uint Fraction)
{
    public static IgtlTimestamp Zero => default;

    public ulong Packed => ((ulong)Seconds << 32) | Fraction;

    public static IgtlTimestamp FromPacked(ulong packed) => new((uint)(packed >> 32), (uint)packed);

    public static IgtlTimestamp FromDateTimeOffset(DateTimeOffset time)
    {
        long ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        if (ticks < 0) throw new ArgumentOutOfRangeException(nameof(time), "OpenIGTLink time stamps start at 1970-01-01.");
        ulong seconds = (ulong)(ticks / TimeSpan.TicksPerSecond);
        if (seconds > uint.MaxValue) throw new ArgumentOutOfRangeException(nameof(time), "Time stamp past 2106 does not fit 32-bit seconds.");
        ulong remainder = (ulong)(ticks % TimeSpan.TicksPerSecond);
        return new((uint)seconds, (uint)((remainder << 32) / TimeSpan.TicksPerSecond));
    }

    /// <summary>From seconds since the epoch as a double (e.g. 1700000000.5).</summary>
    public static IgtlTimestamp FromUnixSeconds(double seconds)
    {
        if (!(seconds >= 0) || seconds > uint.MaxValue) throw new ArgumentOutOfRangeException(nameof(seconds));
        double whole = Math.Floor(seconds);
        return new((uint)whole, (uint)Math.Min(uint.MaxValue, Math.Round((seconds - whole) * 4294967296.0)));
    }

    public static IgtlTimestamp Now => FromDateTimeOffset(DateTimeOffset.UtcNow);

    public DateTimeOffset ToDateTimeOffset() =>
        DateTimeOffset.UnixEpoch.AddTicks(Seconds * TimeSpan.TicksPerSecond + (long)(((ulong)Fraction * TimeSpan.TicksPerSecond) >> 32));

    public double ToUnixSeconds() => Seconds + Fraction / 4294967296.0;
}
