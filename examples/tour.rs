fn main() {
    println!("the tour is being written");
}
