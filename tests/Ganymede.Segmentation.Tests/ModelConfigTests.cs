using Ganymede.NN;

namespace Ganymede.Segmentation.Tests;

public class ModelConfigTests
{
    [Fact]
    public void A_configuration_written_before_crop_and_dilation_existed_reads_with_their_defaults()
    {
        var config = ModelConfig.FromJson("""
            {"Architecture":"unet","InChannels":1,"OutChannels":1,"Base":16,"Depth":4,"Dropout":0,"ConvBias":false,"UpKernel":2,
             "InputSize":256,"IntensityLow":0,"IntensityHigh":255,"Description":"old"}
            """, "old.safetensors");
        Assert.Equal("none", config.Crop);
        Assert.Equal(1, config.BottleneckDilation);
    }

    [Fact]
    public void The_bottleneck_dilation_survives_the_round_trip_and_builds_into_the_model()
    {
        var config = new ModelConfig("unet", 1, 1, 4, 2, 0, false, 2, 32, 0, 255, "test", "body", BottleneckDilation: 2);
        var read = ModelConfig.FromJson(config.ToJson(), "test");
        Assert.Equal(config, read);
        using var model = read.Build();
        Assert.Equal(2, model.BottleneckDilation);
        var bottleneck = model.named_children().Single(child => child.name == "bottleneck").module;
        var dilations = bottleneck.named_children().Select(child => child.module).OfType<Conv2d>().Select(conv => conv.dilation);
        Assert.Equal([2, 2], dilations);
    }
}
