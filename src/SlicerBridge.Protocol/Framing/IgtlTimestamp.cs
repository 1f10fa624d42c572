namespace SlicerBridge.Protocol;

/// <summary>OpenIGTLink timestamp: upper 32 bits seconds since the Unix epoch, lower 32 bits a binary fraction of a second.</summary>
public readonly record struct IgtlTimestamp(uint Seconds, uint Fraction)
{
    public ulong Packed => ((ulong)Seconds << 32) | Fraction;

    public static IgtlTimestamp FromPacked(ulong packed) => new((uint)(packed >> 32), (uint)packed);

    public static IgtlTimestamp Now => FromDateTimeOffset(DateTimeOffset.UtcNow);

    public static IgtlTimestamp FromDateTimeOffset(DateTimeOffset time)
    {
        long ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        if (ticks < 0 || ticks / TimeSpan.TicksPerSecond > uint.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(time), time, "OpenIGTLink timestamps cover 1970..2106 UTC.");
        long seconds = ticks / TimeSpan.TicksPerSecond;
        long subTicks = ticks % TimeSpan.TicksPerSecond;
        // fraction = subseconds * 2^32 (100 ns ticks: 10^7 per second)
        ulong fraction = ((ulong)subTicks << 32) / TimeSpan.TicksPerSecond;
        return new IgtlTimestamp((uint)seconds, (uint)fraction);
    }

    public DateTimeOffset ToDateTimeOffset()
    {
        long subTicks = (long)(((ulong)Fraction * TimeSpan.TicksPerSecond + (1UL << 31)) >> 32);
        return DateTimeOffset.UnixEpoch.AddTicks(Seconds * TimeSpan.TicksPerSecond + subTicks);
    }
}
