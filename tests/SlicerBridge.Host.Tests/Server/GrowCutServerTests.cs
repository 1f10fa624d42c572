using System.Runtime.InteropServices;
using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Inference.Volumes;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Tests.Server;

/// <summary>The real default model through the server: a bright sphere in a dark background.</summary>
public class GrowCutServerTests
{
    [Fact]
    public async Task GrowCut_segments_a_bright_sphere_from_one_click()
    {
        await using var server = await BridgeTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        const int n = 32;
        var values = new short[n * n * n];
        var center = new Vec3(16, 16, 16);
        for (int k = 0; k < n; k++) for (int j = 0; j < n; j++) for (int i = 0; i < n; i++)
            values[(k * n + j) * n + i] = (short)((new Vec3(i, j, k) - center).Length <= 7 ? 200 : 0);
        var image = new ImageMessage("ball", IgtlScalarType.Int16, 1, n, n, n, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        image.SetIjkToRas(TestImages.Identity);
        await client.SendAsync(image);
        var (model, _) = await client.CommandAsync("SetModel", """{"model":"growcut"}""");
        Assert.Equal("SUCCESS", model.Metadata["Status"]);
        await client.SendAsync(TestImages.Points("PromptPos", (16, 16, 16)));
        using var result = await client.ReceiveAsync<ImageMessage>(60);
        Assert.Equal("growcut", result.Metadata["Model"]);
        TestImages.AssertSameGeometry(image, result);
        byte[] mask = result.Pixels.ToArray();
        long truth = values.LongCount(v => v > 0), overlap = 0, predicted = mask.LongCount(b => b == 1);
        for (int v = 0; v < mask.Length; v++) if (mask[v] == 1 && values[v] > 0) overlap++;
        double dice = 2.0 * overlap / (truth + predicted);
        Assert.True(dice > 0.9, $"Dice {dice:0.000} (truth {truth}, predicted {predicted})");
    }
}
