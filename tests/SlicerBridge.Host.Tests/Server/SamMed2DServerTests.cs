using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Inference.Models.SamMed2D;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Tests.Server;

/// <summary>
/// SAM-Med2D through the server with no session changes: an IMAGE with one slice is a 2-D image, a POINT on its plane
/// prompts it, and the reply is a one-slice labelmap with the image's geometry.
/// </summary>
public sealed class SamMed2DServerTests
{
    [Fact]
    public async Task A_one_slice_image_and_a_point_on_it_give_a_one_slice_labelmap()
    {
        string checkpoint = SharedFixtures.SamMed2DTiny("checkpoint.pth");
        await using var server = await BridgeTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Models:List:2:Name"] = "sam2d", ["Models:List:2:Kind"] = "sam-med2d",
            ["Models:List:2:Checkpoint"] = checkpoint, ["Models:List:2:Config"] = SharedFixtures.SamMed2DTiny("fixture.json"),
        });
        await using var client = await server.ConnectAsync();
        var (hwc, h, w) = SamMed2DRunPlan.ReadImage(SharedFixtures.SamMed2DTiny("ct_image_u8.npy"));
        var grey = Enumerable.Range(0, h * w).Select(i => hwc[3 * i]).ToArray();
        var image = new ImageMessage("Image_Reference", IgtlScalarType.UInt8, 1, w, h, 1, grey);
        image.SetIjkToRas(TestImages.Identity);
        await client.SendAsync(image);
        var (model, _) = await client.CommandAsync("SetModel", """{"model":"sam2d"}""");
        Assert.Equal("SUCCESS", model.Metadata["Status"]);
        await client.SendAsync(TestImages.Points("PromptPos", (113, 125, 0)));
        using var result = await client.ReceiveAsync<ImageMessage>(120);
        Assert.Equal("sam2d", result.Metadata["Model"]);
        Assert.Equal(IgtlScalarType.UInt8, result.ScalarType);
        Assert.Equal(1, result.SizeK);
        TestImages.AssertSameGeometry(image, result);

        // The same prediction as the predictor on the frame (pixel (113, 125) is RAS (113, 125, 0) here).
        using var network = SamMed2DNetwork.Load(checkpoint, SamMed2DConfig.FromFile(SharedFixtures.SamMed2DTiny("fixture.json")), SlicerBridge.Inference.Onnx.ExecutionDevice.Cpu);
        var predictor = new SamMed2DPredictor(network);
        var expected = predictor.Predict(predictor.EncodeGrey(grey, h, w, default), [new SlicerBridge.Inference.Models.SamMed2D.Pipeline.FramePoint(113, 125, true)], null, null);
        Assert.Equal(expected.Mask, result.Pixels.ToArray());
    }
}
