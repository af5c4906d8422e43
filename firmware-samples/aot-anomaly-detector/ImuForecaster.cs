using TinyGru;

namespace AotAnomalyDetector;

/// <summary>Predicts the next IMU frame (ax, ay, az, gx, gy, gz) from the frames so far; generated at build time.</summary>
[TinyGruModel("models/imu-forecaster.safetensors")]
internal partial struct ImuForecaster { }
