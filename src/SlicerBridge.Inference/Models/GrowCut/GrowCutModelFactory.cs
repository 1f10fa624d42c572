namespace SlicerBridge.Inference.Models.GrowCut;

/// <summary>Builds <see cref="GrowCutModel"/>; <see cref="ModelSpec.Config"/> may name a JSON file of <see cref="GrowCutOptions"/>.</summary>
public sealed class GrowCutModelFactory : IModelFactory
{
    public string Kind => "growcut";

    public ISegmentationModel Create(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Checkpoint is not null)
            throw new ArgumentException($"Model '{spec.Name}' is GrowCut, which has no weights; remove its checkpoint '{spec.Checkpoint}'.");
        return new GrowCutModel(spec.Config is null ? null : GrowCutOptions.Load(spec.Config));
    }
}
