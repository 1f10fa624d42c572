using SlicerBridge.Inference.Onnx;
using Xunit;

namespace SlicerBridge.Inference.Tests.Onnx;

public sealed class WeightSetTests
{
    [Fact]
    public void Tensors_are_stored_aligned_and_read_back_exactly()
    {
        string folder;
        using (var weights = new WeightSet())
        {
            folder = weights.Folder;
            weights.Add("a", [1, 2, 3], [3]);
            weights.Add("b", [4, 5, 6, 7, 8, 9], [2, 3]);
            Assert.Equal([1f, 2, 3], weights.Values("a"));
            Assert.Equal([4f, 5, 6, 7, 8, 9], weights.Values("b"));
            var declared = weights.Declare("b");
            var entries = declared.ExternalData.ToDictionary(e => e.Key, e => e.Value);
            Assert.Equal(weights.FileName, entries["location"]);
            Assert.Equal(0, long.Parse(entries["offset"]) % 64);
            Assert.Equal("24", entries["length"]);
            Assert.Equal(9 * sizeof(float), weights.Bytes);
            Assert.True(File.Exists(Path.Combine(folder, weights.FileName)));
        }
        Assert.False(Directory.Exists(folder)); // a temporary set leaves nothing behind
    }

    [Fact]
    public void A_view_must_cover_the_same_values_and_is_fixed_once()
    {
        using var weights = new WeightSet();
        weights.Add("pos", new float[24], [1, 2, 3, 4]);
        Assert.Throws<ArgumentException>(() => weights.SetView("pos", [5, 5]));
        weights.SetView("pos", [6, 4]);
        Assert.Equal([6L, 4], weights.Declare("pos").Dims);
        Assert.Throws<InvalidOperationException>(() => weights.SetView("pos", [24]));
        Assert.Throws<ArgumentException>(() => weights.Add("pos", new float[1], [1]));
        Assert.Throws<ArgumentException>(() => weights.Add("short", new float[3], [2, 2]));
        Assert.Throws<KeyNotFoundException>(() => weights.Declare("missing"));
    }
}
