namespace Ganymede.Segmentation.Tests;

public class ModelConfigTests
{
    [Fact]
    public void A_configuration_written_before_crop_existed_reads_as_whole_slices()
    {
        var config = ModelConfig.FromJson("""
            {"Architecture":"unet","InChannels":1,"OutChannels":1,"Base":16,"Depth":4,"Dropout":0,"ConvBias":false,"UpKernel":2,
             "InputSize":256,"IntensityLow":0,"IntensityHigh":255,"Description":"old"}
            """, "old.safetensors");
        Assert.Equal("none", config.Crop);
        Assert.False(config.CropsToBody);
    }

    [Fact]
    public void A_configuration_survives_the_round_trip()
    {
        var config = new ModelConfig("unet", 1, 1, 4, 2, 0, false, 2, 32, 0, 255, "test", "body");
        Assert.Equal(config, ModelConfig.FromJson(config.ToJson(), "test"));
    }
}
