using System.Text;
using SlicerBridge.Protocol;

namespace SlicerBridge.Protocol.Tests;

/// <summary>The type field is decoded once into <see cref="IgtlMessageKind"/>, from one list of known names.</summary>
public class MessageKindTests
{
    [Fact]
    public void Every_named_kind_decodes_from_its_wire_name_and_back()
    {
        foreach (var (kind, name) in IgtlMessageKinds.Named)
        {
            Assert.Equal(kind, IgtlMessageKinds.Decode(Encoding.ASCII.GetBytes(name)));
            Assert.Equal(name, IgtlMessageKinds.NameOf(kind));
        }
    }

    [Theory]
    [InlineData("GET_IMAGE", IgtlMessageKind.OtherQuery)]
    [InlineData("STT_TDATA", IgtlMessageKind.OtherQuery)]
    [InlineData("STP_TDATA", IgtlMessageKind.OtherQuery)]
    [InlineData("RTS_TDATA", IgtlMessageKind.OtherRts)]
    [InlineData("GET_", IgtlMessageKind.Unknown)]
    [InlineData("TDATA", IgtlMessageKind.Unknown)]
    [InlineData("image", IgtlMessageKind.Unknown)]
    [InlineData("IMAGEX", IgtlMessageKind.Unknown)]
    [InlineData("", IgtlMessageKind.Unknown)]
    public void Other_names_decode_by_prefix_or_as_unknown(string name, IgtlMessageKind kind) =>
        Assert.Equal(kind, IgtlMessageKinds.Decode(name));

    [Fact]
    public void Headers_and_parsed_messages_carry_their_kind()
    {
        var bytes = IgtlMessageWriter.ToArray(new StatusMessage { DeviceName = "d" });
        var header = IgtlHeader.Decode(bytes);
        Assert.Equal(IgtlMessageKind.Status, header.Kind);
        Assert.Equal(IgtlMessageKind.RtsCommand, new RtsCommandMessage().Kind);
        Assert.Equal(IgtlMessageKind.GetCapability, new QueryMessage("GET_CAPABIL").Kind);
    }
}
