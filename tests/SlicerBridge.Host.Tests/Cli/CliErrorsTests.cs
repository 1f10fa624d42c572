using SlicerBridge.Host.Cli;
using SlicerBridge.Inference.Checkpoints;

namespace SlicerBridge.Host.Tests.Cli;

public class CliErrorsTests
{
    [Fact]
    public void A_message_becomes_one_short_line()
    {
        Assert.Equal("a b c", CliErrors.OneLine("a\r\n b\t\tc\n"));
        string cut = CliErrors.OneLine(new string('x', 5000));
        Assert.Equal(1001, cut.Length);
        Assert.EndsWith("…", cut);
    }

    [Fact]
    public void Input_problems_keep_their_message_and_anything_else_is_named_by_type()
    {
        Assert.Equal("x.pth: corrupt pickle", CliErrors.Describe(new CheckpointException("x.pth: corrupt pickle")));
        Assert.Equal("unexpected IndexOutOfRangeException: Index was outside the bounds of the array.",
            CliErrors.Describe(new IndexOutOfRangeException()));
        Assert.Equal("out of memory", CliErrors.Describe(new OutOfMemoryException()));
    }
}
