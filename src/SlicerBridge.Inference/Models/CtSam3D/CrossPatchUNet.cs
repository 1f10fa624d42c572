using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>
/// The cross-patch prompt network (spec §5, Appendix B): MONAI 1.3.2's UNet (3 → 1 channels, strides 2, two residual
/// sub-units, InstanceNorm without affine, one PReLU slope per layer). Input [this patch's image, its mask (prob &gt; 0.5),
/// the neighbour patch's image]; output an unactivated heatmap for the neighbour, trained against a Gaussian click
/// heatmap. The released code never calls it; <see cref="CtSam3DModel"/> uses its peak as a click (see there).
/// </summary>
public static class CrossPatchUNet
{
    /// <summary>input [1, 3, 64, 64, 64] → heatmap [1, 1, 64, 64, 64].</summary>
    public static string Build(GraphBuilder g, CtSam3DConfig c, string input)
    {
        using var _ = g.Scope("cpp");
        return Block(g, input, CtSam3DCheckpointLayout.CppPrefix + "model", 3, 1, c.CppChannels, 0, isTop: true);
    }

    /// <summary>MONAI's Sequential(down RU, SkipConnection(sub), up): sub is the next level, or the bottom RU at the last.</summary>
    private static string Block(GraphBuilder g, string x, string p, int cin, int cout, int[] ch, int level, bool isTop)
    {
        int c = ch[level];
        var down = ResidualUnit(g, x, p + ".0", cin, c, 2, 2, lastConvOnly: false);
        string sub;
        if (level + 2 < ch.Length) sub = Block(g, down, p + ".1.submodule", c, c, ch, level + 1, isTop: false);
        else sub = ResidualUnit(g, down, p + ".1.submodule", c, ch[level + 1], 1, 2, lastConvOnly: false);
        var skip = g.Concat(1, [down, sub]);                   // SkipConnection: the input first
        var up = g.ConvTranspose(skip, g.Weight(p + ".2.0.conv.weight"), g.Weight(p + ".2.0.conv.bias"), 3, 2, 1, 1);
        up = g.PRelu(Spade.InstanceNorm(g, up, cout, 1e-5f), g.Weight(p + ".2.0.adn.A.weight"));
        // The top level's last unit is conv only: the heatmap has no final norm or activation.
        return ResidualUnit(g, up, p + ".2.1", cout, cout, 1, 1, lastConvOnly: isTop);
    }

    /// <summary>MONAI ResidualUnit: sub-units (conv → InstanceNorm → PReLU) plus a residual (conv 3³ when strided, 1³ when widening, else identity).</summary>
    private static string ResidualUnit(GraphBuilder g, string x, string p, int cin, int cout, int stride, int units, bool lastConvOnly)
    {
        var y = x;
        for (int u = 0; u < units; u++)
        {
            y = g.Conv(y, g.Weight($"{p}.conv.unit{u}.conv.weight"), g.Weight($"{p}.conv.unit{u}.conv.bias"), 3, u == 0 ? stride : 1, 1);
            if (lastConvOnly && u == units - 1) continue;
            y = g.PRelu(Spade.InstanceNorm(g, y, cout, 1e-5f), g.Weight($"{p}.conv.unit{u}.adn.A.weight"));
        }
        string residual = stride != 1 ? g.Conv(x, g.Weight(p + ".residual.weight"), g.Weight(p + ".residual.bias"), 3, stride, 1)
            : cin != cout ? g.Conv(x, g.Weight(p + ".residual.weight"), g.Weight(p + ".residual.bias"), 1, 1, 0)
            : x;
        return g.Add(y, residual);
    }
}
