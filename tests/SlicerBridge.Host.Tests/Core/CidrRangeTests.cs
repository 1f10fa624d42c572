using System.Net;
using SlicerBridge.Host.Networking;

namespace SlicerBridge.Host.Tests.Core;

public class CidrRangeTests
{
    [Theory]
    [InlineData("127.0.0.0/8", "127.1.2.3", true)]
    [InlineData("127.0.0.0/8", "128.0.0.1", false)]
    [InlineData("10.1.2.0/23", "10.1.3.255", true)]
    [InlineData("10.1.2.0/23", "10.1.4.0", false)]
    [InlineData("0.0.0.0/0", "8.8.8.8", true)]
    [InlineData("192.168.1.7", "192.168.1.7", true)]
    [InlineData("192.168.1.7", "192.168.1.8", false)]
    [InlineData("::1/128", "::1", true)]
    [InlineData("fd00::/8", "fd12::1", true)]
    [InlineData("fd00::/8", "fe80::1", false)]
    [InlineData("127.0.0.0/8", "::ffff:127.0.0.1", true)]
    [InlineData("::1/128", "127.0.0.1", false)]
    public void Contains_matches_prefix(string cidr, string address, bool expected) =>
        Assert.Equal(expected, CidrRange.Parse(cidr).Contains(IPAddress.Parse(address)));

    [Theory]
    [InlineData("")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("10.0.0/8")]
    [InlineData("host.example/8")]
    [InlineData("10.0.0.0/8/1")]
    public void Invalid_notation_is_rejected(string text)
    {
        Assert.False(CidrRange.TryParse(text, out _));
        Assert.Throws<FormatException>(() => CidrRange.Parse(text));
    }

    [Fact]
    public void Host_bits_are_masked_when_parsing() => Assert.Equal("10.1.2.0/23", CidrRange.Parse("10.1.3.77/23").ToString());
}
