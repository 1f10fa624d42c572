using SlicerBridge.Host.Requests;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Host.Tests.Core;

public class RequestParserTests
{
    [Fact]
    public void Segment_with_every_field()
    {
        var cmd = Assert.IsType<SegmentRequest>(RequestParser.Parse("Segment",
            """{"volume":"MRHead","model":"growcut","points":[{"ras":[1,2,3],"label":1},{"ras":[4,5,6],"label":0},{"ras":[7,8,9]}],"roi":{"center":[0,0,0],"size":[10,20,30]},"output":"out","requestId":"r1"}"""));
        Assert.Equal("MRHead", cmd.Volume);
        Assert.Equal("growcut", cmd.Model);
        Assert.Equal("out", cmd.Output);
        Assert.Equal("r1", cmd.RequestId);
        Assert.Equal(3, cmd.Points!.Count);
        Assert.Equal(new Vec3(4, 5, 6), cmd.Points[1].Ras);
        Assert.False(cmd.Points[1].Positive);
        Assert.True(cmd.Points[2].Positive);
        Assert.Equal(new Vec3(10, 20, 30), cmd.Roi!.Size);
    }

    [Fact]
    public void Output_must_fit_a_device_name()
    {
        Assert.Equal("ABCDEFGHIJKLMNOPQRST", Assert.IsType<SegmentRequest>(RequestParser.Parse("Segment", """{"output":"ABCDEFGHIJKLMNOPQRST"}""")).Output);
        var ex = Assert.Throws<MalformedRequestException>(() => RequestParser.Parse("Segment", """{"output":"ABCDEFGHIJKLMNOPQRSTU"}"""));
        Assert.Contains("21 bytes", ex.Message);
        Assert.Contains("at most 20 bytes", ex.Message);
        Assert.Throws<MalformedRequestException>(() => RequestParser.Parse("Segment", """{"output":"ééééééééééé"}""")); // 11 characters, 22 bytes
    }

    [Fact]
    public void Empty_content_is_an_empty_object()
    {
        var cmd = Assert.IsType<SegmentRequest>(RequestParser.Parse("Segment", ""));
        Assert.Null(cmd.Points);
        Assert.IsType<ListModelsRequest>(RequestParser.Parse("ListModels", "{}"));
        Assert.IsType<GetStatusRequest>(RequestParser.Parse("GetStatus", " "));
    }

    [Fact]
    public void SetRoi_clear_and_oblique_axes()
    {
        Assert.Null(Assert.IsType<SetRoiRequest>(RequestParser.Parse("SetRoi", "{}")).Roi);
        Assert.Null(Assert.IsType<SetRoiRequest>(RequestParser.Parse("SetRoi", """{"clear":true}""")).Roi);
        var roi = Assert.IsType<SetRoiRequest>(RequestParser.Parse("SetRoi",
            """{"center":[1,1,1],"size":[2,2,2],"axes":[[0,2,0],[-1,0,0],[0,0,1]]}""")).Roi!;
        Assert.Equal(new Vec3(0, 1, 0), roi.AxisX);
        Assert.Equal(new Vec3(-1, 0, 0), roi.AxisY);
    }

    [Theory]
    [InlineData("Frobnicate", "{}", "Unknown command 'Frobnicate'")]
    [InlineData("Segment", "{not json", "not valid JSON")]
    [InlineData("Segment", "[1,2]", "must be a JSON object")]
    [InlineData("Segment", """{"points":[{"ras":[1,2]}]}""", "points[0].ras must be an array of 3 numbers")]
    [InlineData("Segment", """{"points":[{"ras":[1,2,3],"label":7}]}""", "points[0].label")]
    [InlineData("Segment", """{"volume":5}""", "'volume' must be a string")]
    [InlineData("SetRoi", """{"center":[0,0,0],"size":[0,1,1]}""", "roi.size must be positive")]
    [InlineData("SetRoi", """{"center":[0,0,0]}""", "needs \"center\"")]
    [InlineData("SetRoi", """{"center":[0,0,0],"size":[1,1,1],"axes":[[1,0,0],[1,0,0],[0,0,1]]}""", "orthogonal")]
    [InlineData("SetModel", "{}", "SetModel needs")]
    [InlineData("SetTarget", """{"volume":""}""", "must not be empty")]
    public void Bad_commands_say_what_is_wrong(string name, string content, string expected)
    {
        var ex = Assert.Throws<MalformedRequestException>(() => RequestParser.Parse(name, content));
        Assert.Contains(expected, ex.Message);
    }
}
