fn main() {
    println!("tripod-bench: scenarios are being written");
}
